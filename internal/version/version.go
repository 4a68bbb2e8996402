// Package version holds the build's version, set at link time with
// -ldflags "-X lawka/internal/version.Version=…".
package version

// Version is "dev" for builds that were not stamped.
var Version = "dev"
