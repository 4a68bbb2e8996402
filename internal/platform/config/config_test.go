package config

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":8080" || c.RedisURL != DefaultRedisURL || c.DatabaseURL != DefaultDatabaseURL ||
		c.Origin() != "http://localhost:8080" || !c.Dev() || c.Secure() || c.LogLevel != slog.LevelInfo || c.ReportsToHide != 3 ||
		c.PageCacheTTL != time.Second {
		t.Fatalf("defaults = %+v", c)
	}
}

func TestValidValues(t *testing.T) {
	c, err := Load(env(map[string]string{
		"LAWKA_ADDR":            "127.0.0.1:9000",
		"LAWKA_PUBLIC_URL":      "https://lawka.example.org/",
		"LAWKA_ENV":             "prod",
		"LAWKA_TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.7",
		"LAWKA_LOG_LEVEL":       "DEBUG",
		"LAWKA_SMTP_URL":        "smtp://user:secret@mail.example.org:587",
		"LAWKA_REDIS_URL":       "redis://:pw@redis:6380/3",
		"LAWKA_REPORTS_TO_HIDE": "5",
		"LAWKA_PAGE_CACHE_TTL":  "250ms",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Secure() || c.Dev() || c.Origin() != "https://lawka.example.org" || len(c.TrustedProxies) != 2 ||
		c.TrustedProxies[1].String() != "192.168.1.7/32" || c.LogLevel != slog.LevelDebug || c.ReportsToHide != 5 ||
		c.PageCacheTTL != 250*time.Millisecond {
		t.Fatalf("config = %+v", c)
	}
}

func TestBadValuesNameTheVariable(t *testing.T) {
	cases := []struct{ name, value string }{
		{"LAWKA_ADDR", "8080"},
		{"LAWKA_ADDR", ":99999"},
		{"LAWKA_ADDR", ":http"},
		{"LAWKA_DATABASE_URL", "postgres://user:secret@host:notaport/db"},
		{"LAWKA_REDIS_URL", "http://localhost:6379"},
		{"LAWKA_REDIS_URL", "redis://localhost:6379/notanumber"},
		{"LAWKA_PUBLIC_URL", "localhost:8080"},
		{"LAWKA_PUBLIC_URL", "ftp://example.org"},
		{"LAWKA_PUBLIC_URL", "https://example.org/lawka"},
		{"LAWKA_ENV", "production"},
		{"LAWKA_TRUSTED_PROXIES", "10.0.0.0/33"},
		{"LAWKA_TRUSTED_PROXIES", "everyone"},
		{"LAWKA_SMTP_URL", "mail.example.org"},
		{"LAWKA_LOG_LEVEL", "verbose"},
		{"LAWKA_REPORTS_TO_HIDE", "0"},
		{"LAWKA_REPORTS_TO_HIDE", "three"},
		{"LAWKA_PAGE_CACHE_TTL", "1"},
		{"LAWKA_PAGE_CACHE_TTL", "-1s"},
		{"LAWKA_PAGE_CACHE_TTL", "2h"},
	}
	for _, tc := range cases {
		t.Run(tc.name+"="+tc.value, func(t *testing.T) {
			_, err := Load(env(map[string]string{tc.name: tc.value}))
			var ce *Error
			if !errors.As(err, &ce) || ce.Var != tc.name {
				t.Fatalf("Load = %v, want an error naming %s", err, tc.name)
			}
			if !strings.Contains(err.Error(), tc.name) {
				t.Fatalf("message %q does not name %s", err, tc.name)
			}
		})
	}
}

func TestPasswordsNeverInMessages(t *testing.T) {
	_, err := Load(env(map[string]string{"LAWKA_DATABASE_URL": "postgres://u:hunter22@h:bad/db"}))
	if err == nil || strings.Contains(err.Error(), "hunter22") {
		t.Fatalf("error %v leaks the password", err)
	}
}

func lookup(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestMapTiles(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil || c.MapTiles != DefaultMapTiles || c.MapTilesOrigin() != "https://tile.openstreetmap.org" {
		t.Fatalf("default: %q %q %v", c.MapTiles, c.MapTilesOrigin(), err)
	}
	c, err = LoadLookup(lookup(map[string]string{"LAWKA_MAP_TILES": ""}))
	if err != nil || c.MapTiles != "" || c.MapTilesOrigin() != "" {
		t.Fatalf("set empty: %q %q %v, want the map off", c.MapTiles, c.MapTilesOrigin(), err)
	}
	c, err = Load(env(map[string]string{"LAWKA_MAP_TILES": "http://127.0.0.1:8081/tiles/{z}/{x}/{y}.png?key=abc"}))
	if err != nil || c.MapTilesOrigin() != "http://127.0.0.1:8081" {
		t.Fatalf("own tile server: %q %v", c.MapTilesOrigin(), err)
	}
	for _, bad := range []string{
		"tile.openstreetmap.org/{z}/{x}/{y}.png",
		"ftp://tiles.example.org/{z}/{x}/{y}.png",
		"https://tiles.example.org/{z}/{x}.png",
		"https://{s}.tile.example.org/{z}/{x}/{y}.png",
		"https://tiles.example.org/{z}/{x}/{y}/{r}.png",
		"https://tiles.example.org/{z}/{x}/{y}.png?a='b'",
		"https://user:pw@tiles.example.org/{z}/{x}/{y}.png",
	} {
		_, err := Load(env(map[string]string{"LAWKA_MAP_TILES": bad}))
		var ce *Error
		if !errors.As(err, &ce) || ce.Var != "LAWKA_MAP_TILES" {
			t.Errorf("LAWKA_MAP_TILES=%s: %v, want an error naming the variable", bad, err)
		}
	}
}
