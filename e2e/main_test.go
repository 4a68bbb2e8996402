package e2e

import (
	"os"
	"testing"
)

// TestMain closes the package's shared Chromium after the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	closeBrowser()
	os.Exit(code)
}
