// Package i18n translates the interface: Polish first, English and Ukrainian too,
// with CLDR plural rules from go-i18n. Every UI string is a key in web/locales/*.toml.
package i18n

import (
	"fmt"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// Langs are the supported languages, the default first.
var Langs = []string{"pl", "en", "uk"}

// Default is the language used when nothing else is known.
const Default = "pl"

// Supported reports whether lang is one of Langs.
func Supported(lang string) bool {
	for _, l := range Langs {
		if l == lang {
			return true
		}
	}
	return false
}

// Bundle holds every locale's messages.
type Bundle struct {
	b       *goi18n.Bundle
	matcher language.Matcher
	locs    map[string]*Localizer
}

// Load reads <dir>/<lang>.toml for each supported language from fsys.
func Load(fsys fs.FS, dir string) (*Bundle, error) {
	b := goi18n.NewBundle(language.Polish)
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	for _, lang := range Langs {
		if _, err := b.LoadMessageFileFS(fsys, path.Join(dir, lang+".toml")); err != nil {
			return nil, fmt.Errorf("locale %s: %w", lang, err)
		}
	}
	tags := make([]language.Tag, len(Langs))
	for i, l := range Langs {
		tags[i] = language.MustParse(l)
	}
	bundle := &Bundle{b: b, matcher: language.NewMatcher(tags), locs: map[string]*Localizer{}}
	for _, l := range Langs {
		bundle.locs[l] = &Localizer{Lang: l, l: goi18n.NewLocalizer(b, l)}
	}
	return bundle, nil
}

// For returns the localizer of a supported language (the default for anything else).
func (b *Bundle) For(lang string) *Localizer {
	if l, ok := b.locs[lang]; ok {
		return l
	}
	return b.locs[Default]
}

// Negotiate picks the language: the account's setting, then the cookie, then the
// browser's Accept-Language, then Polish.
func (b *Bundle) Negotiate(account, cookie, acceptLanguage string) string {
	if Supported(account) {
		return account
	}
	if Supported(cookie) {
		return cookie
	}
	if acceptLanguage != "" {
		tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
		if err == nil && len(tags) > 0 {
			_, idx, conf := b.matcher.Match(tags...)
			if conf >= language.High {
				return Langs[idx]
			}
		}
	}
	return Default
}

// Localizer translates keys into one language. Templates call it as {{$.L.T "key"}}.
type Localizer struct {
	Lang string
	l    *goi18n.Localizer
}

// T translates key; args are name/value pairs for the message's template
// ({{.Name}}). A missing key shows the key itself, so a gap is visible, never blank.
func (l *Localizer) T(key string, args ...any) string {
	s, err := l.l.Localize(&goi18n.LocalizeConfig{MessageID: key, TemplateData: pairs(args)})
	if err != nil {
		return key
	}
	return s
}

// N translates a plural key for count ({{.Count}} in the message).
func (l *Localizer) N(key string, count int, args ...any) string {
	data := pairs(args)
	data["Count"] = count
	s, err := l.l.Localize(&goi18n.LocalizeConfig{MessageID: key, PluralCount: count, TemplateData: data})
	if err != nil {
		return key
	}
	return s
}

// Has reports whether key exists (used to fall back from field-specific messages).
func (l *Localizer) Has(key string) bool {
	_, err := l.l.Localize(&goi18n.LocalizeConfig{MessageID: key})
	return err == nil
}

// Warsaw is the time zone every time is shown in.
var Warsaw = mustZone("Europe/Warsaw")

// ParseTime reads a time as RFC 3339 or as Warsaw's wall clock ("2006-01-02T15:04",
// what a form's date and time fields give), between the years 2000 and 2100.
func ParseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t, err = time.ParseInLocation("2006-01-02T15:04", s, Warsaw)
	}
	if err != nil || t.Year() < 2000 || t.Year() > 2100 {
		return time.Time{}, false
	}
	return t, true
}

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		// The binary embeds tzdata (cmd/lawka imports time/tzdata), so this cannot happen
		// on a machine without a zoneinfo database.
		panic(err)
	}
	return loc
}

// Date writes a date as people write it: "24 października 2026".
func (l *Localizer) Date(t time.Time) string {
	t = t.In(Warsaw)
	return l.T("date.day_month_year", "Day", t.Day(), "Month", l.T(fmt.Sprintf("date.month_%d", int(t.Month()))), "Year", t.Year())
}

// DateTime writes "24 października 2026, 11:00".
func (l *Localizer) DateTime(t time.Time) string {
	return l.Date(t) + ", " + t.In(Warsaw).Format("15:04")
}

func pairs(args []any) map[string]any {
	m := make(map[string]any, len(args)/2+1)
	for i := 0; i+1 < len(args); i += 2 {
		if k, ok := args[i].(string); ok {
			m[k] = args[i+1]
		}
	}
	return m
}

// Keys flattens a TOML locale file into message id → plural forms present (a plain
// string counts as "other"), with the text of each; the locale test compares these.
func Keys(data []byte) (map[string]map[string]string, error) {
	var raw map[string]any
	if err := toml.Unmarshal(data, &raw); err != nil {
		return nil, err
	}
	out := map[string]map[string]string{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch t := v.(type) {
		case string:
			out[prefix] = map[string]string{"other": t}
		case map[string]any:
			if isPlural(t) {
				forms := map[string]string{}
				for k, s := range t {
					forms[k], _ = s.(string)
				}
				out[prefix] = forms
				return
			}
			for k, sub := range t {
				name := k
				if prefix != "" {
					name = prefix + "." + k
				}
				walk(name, sub)
			}
		}
	}
	walk("", raw)
	return out, nil
}

var pluralForms = map[string]bool{"zero": true, "one": true, "two": true, "few": true, "many": true, "other": true}

func isPlural(m map[string]any) bool {
	if len(m) == 0 {
		return false
	}
	for k := range m {
		if !pluralForms[strings.ToLower(k)] {
			return false
		}
	}
	return true
}
