package web

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"lawka/internal/platform/i18n"
)

// requiredForms are the CLDR plural categories each language needs for integers.
var requiredForms = map[string][]string{
	"pl": {"one", "few", "many", "other"},
	"uk": {"one", "few", "many", "other"},
	"en": {"one", "other"},
}

func loadLocales(t *testing.T) map[string]map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]map[string]string{}
	for _, lang := range i18n.Langs {
		raw, err := fs.ReadFile(FS, "locales/"+lang+".toml")
		if err != nil {
			t.Fatal(err)
		}
		keys, err := i18n.Keys(raw)
		if err != nil {
			t.Fatalf("%s.toml: %v", lang, err)
		}
		out[lang] = keys
	}
	return out
}

func TestEveryKeyInEveryLocale(t *testing.T) {
	locales := loadLocales(t)
	all := map[string]bool{}
	for _, keys := range locales {
		for k := range keys {
			all[k] = true
		}
	}
	var missing []string
	for k := range all {
		for _, lang := range i18n.Langs {
			forms, ok := locales[lang][k]
			if !ok {
				missing = append(missing, lang+": "+k+" is missing")
				continue
			}
			plural := len(forms) > 1 || forms["one"] != ""
			for form, text := range forms {
				if strings.TrimSpace(text) == "" {
					missing = append(missing, lang+": "+k+" ("+form+") is empty")
				}
			}
			if plural {
				for _, f := range requiredForms[lang] {
					if forms[f] == "" {
						missing = append(missing, lang+": "+k+" lacks the plural form "+f)
					}
				}
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("%d translation problems:\n%s", len(missing), strings.Join(missing, "\n"))
	}
}

var (
	templateKey = regexp.MustCompile(`\.L\.[TN] "([^"]+)"`)
	goKey       = regexp.MustCompile(`"([a-z]+(?:\.[a-z0-9_]+)+)"`)
)

// TestKeysUsedExist reads the templates and the Go code for translation keys and checks
// each exists, so a typo shows up here and not as a raw key on a page.
func TestKeysUsedExist(t *testing.T) {
	pl := loadLocales(t)["pl"]
	sections := map[string]bool{}
	for k := range pl {
		sections[k[:strings.IndexByte(k+".", '.')]] = true
	}
	var missing []string
	// A literal may also name a family of keys completed at run time
	// ("mail.confirm" + ".subject", "account.done_" + action).
	isFamily := func(prefix string) bool {
		for k := range pl {
			if strings.HasPrefix(k, prefix+".") || strings.HasSuffix(prefix, "_") && strings.HasPrefix(k, prefix) {
				return true
			}
		}
		return false
	}
	check := func(where, key string) {
		if _, ok := pl[key]; !ok && !isFamily(key) {
			missing = append(missing, where+": "+key)
		}
	}
	_ = fs.WalkDir(FS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := fs.ReadFile(FS, p)
		for _, m := range templateKey.FindAllStringSubmatch(string(b), -1) {
			check(p, m[1])
		}
		return nil
	})
	for _, root := range []string{"../internal", "../cmd"} {
		_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
				return err
			}
			b, _ := os.ReadFile(p)
			for _, m := range goKey.FindAllStringSubmatch(string(b), -1) {
				if sections[m[1][:strings.IndexByte(m[1], '.')]] && !strings.HasSuffix(m[1], ".go") {
					check(p, m[1])
				}
			}
			return nil
		})
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		t.Fatalf("keys used but not in pl.toml:\n%s", strings.Join(missing, "\n"))
	}
}
