// Package config reads the LAWKA_* environment variables. Every setting has a safe
// local default; a bad value is an error that names the variable, so start-up can
// stop with a message a person can act on.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
)

// Config is the whole runtime configuration of the binary.
type Config struct {
	Addr           string
	DatabaseURL    string
	RedisURL       string
	PublicURL      *url.URL
	Env            string // "dev" or "prod"
	TrustedProxies []netip.Prefix
	SMTPURL        string
	LogLevel       slog.Level
	RequestTimeout time.Duration
	// RequireStaffTOTP makes moderators and admins use two-step sign-in.
	RequireStaffTOTP bool
	// ReportsToHide is how many different people's reports hide a proposal or comment
	// until a moderator decides.
	ReportsToHide int
	// MapTiles is the URL template ({z}, {x}, {y}) of the map picker's tiles; "" turns
	// the map off (the plain coordinate fields stay).
	MapTiles string
	// PageCacheTTL is how long a public page, as signed-out visitors see it, is served
	// from memory before it is rendered again (0 renders every request).
	PageCacheTTL time.Duration
}

// MapTilesOrigin is the tile server's origin, for the Content-Security-Policy ("" when
// the map is off).
func (c Config) MapTilesOrigin() string {
	if c.MapTiles == "" {
		return ""
	}
	u, err := url.Parse(c.MapTiles)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// Dev reports whether developer conveniences (demo logins, the mail page) are on.
func (c Config) Dev() bool { return c.Env == "dev" }

// Secure reports whether the public origin is https, which turns on Secure cookies and HSTS.
func (c Config) Secure() bool { return c.PublicURL.Scheme == "https" }

// Origin is the public origin ("https://lawka.example.org"), used as the websocket Origin allowlist.
func (c Config) Origin() string { return c.PublicURL.Scheme + "://" + c.PublicURL.Host }

// Defaults used when a variable is unset.
const (
	DefaultAddr        = ":8080"
	DefaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/lawka?sslmode=disable"
	DefaultRedisURL    = "redis://127.0.0.1:6379/0"
	DefaultPublicURL   = "http://localhost:8080"
	DefaultMapTiles    = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
)

// Error names the variable whose value is unusable.
type Error struct {
	Var, Value, Why string
}

func (e *Error) Error() string {
	return fmt.Sprintf("configuration: %s=%q: %s", e.Var, e.Value, e.Why)
}

// Load reads the configuration through getenv (a map in tests); a variable set empty
// counts as unset.
func Load(getenv func(string) string) (Config, error) {
	return LoadLookup(func(name string) (string, bool) {
		v := getenv(name)
		return v, v != ""
	})
}

// LoadLookup reads the configuration through lookup (os.LookupEnv in production), which
// tells a variable set empty from an unset one: LAWKA_MAP_TILES set empty turns the map
// off. Every other variable set empty takes its default.
func LoadLookup(lookup func(string) (string, bool)) (Config, error) {
	getenv := func(name string) string {
		v, _ := lookup(name)
		return v
	}
	get := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	var c Config

	c.Addr = get("LAWKA_ADDR", DefaultAddr)
	if err := checkAddr(c.Addr); err != nil {
		return c, &Error{"LAWKA_ADDR", c.Addr, err.Error()}
	}

	c.DatabaseURL = get("LAWKA_DATABASE_URL", DefaultDatabaseURL)
	if _, err := pgxpool.ParseConfig(c.DatabaseURL); err != nil {
		return c, &Error{"LAWKA_DATABASE_URL", redact(c.DatabaseURL), "not a PostgreSQL URL: " + firstLine(err)}
	}

	c.RedisURL = get("LAWKA_REDIS_URL", DefaultRedisURL)
	if _, err := redis.ParseURL(c.RedisURL); err != nil {
		return c, &Error{"LAWKA_REDIS_URL", redact(c.RedisURL), "not a Redis URL: " + firstLine(err)}
	}

	raw := get("LAWKA_PUBLIC_URL", DefaultPublicURL)
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return c, &Error{"LAWKA_PUBLIC_URL", raw, "must be an absolute http:// or https:// URL such as https://lawka.example.org"}
	}
	if u.Path != "" && u.Path != "/" {
		return c, &Error{"LAWKA_PUBLIC_URL", raw, "must be an origin without a path"}
	}
	u.Path = ""
	c.PublicURL = u

	c.Env = get("LAWKA_ENV", "dev")
	if c.Env != "dev" && c.Env != "prod" {
		return c, &Error{"LAWKA_ENV", c.Env, `must be "dev" or "prod"`}
	}

	if raw := get("LAWKA_TRUSTED_PROXIES", ""); raw != "" {
		for _, part := range strings.Split(raw, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			p, err := netip.ParsePrefix(part)
			if err != nil {
				a, aerr := netip.ParseAddr(part)
				if aerr != nil {
					return c, &Error{"LAWKA_TRUSTED_PROXIES", raw, fmt.Sprintf("%q is not a CIDR such as 10.0.0.0/8", part)}
				}
				p = netip.PrefixFrom(a, a.BitLen())
			}
			c.TrustedProxies = append(c.TrustedProxies, p.Masked())
		}
	}

	c.SMTPURL = get("LAWKA_SMTP_URL", "")
	if c.SMTPURL != "" {
		u, err := url.Parse(c.SMTPURL)
		if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
			return c, &Error{"LAWKA_SMTP_URL", redact(c.SMTPURL), "must look like smtp://user:pass@host:587"}
		}
	}

	lvl := get("LAWKA_LOG_LEVEL", "info")
	switch strings.ToLower(lvl) {
	case "debug":
		c.LogLevel = slog.LevelDebug
	case "info":
		c.LogLevel = slog.LevelInfo
	case "warn", "warning":
		c.LogLevel = slog.LevelWarn
	case "error":
		c.LogLevel = slog.LevelError
	default:
		return c, &Error{"LAWKA_LOG_LEVEL", lvl, "must be one of debug, info, warn, error"}
	}

	c.RequireStaffTOTP = c.Env == "prod"
	if raw := get("LAWKA_REQUIRE_2FA_FOR_STAFF", ""); raw != "" {
		v, ok := parseBool(raw)
		if !ok {
			return c, &Error{"LAWKA_REQUIRE_2FA_FOR_STAFF", raw, "must be true or false"}
		}
		c.RequireStaffTOTP = v
	}

	c.ReportsToHide = 3
	if raw := get("LAWKA_REPORTS_TO_HIDE", ""); raw != "" {
		n, err := strconv.Atoi(strings.TrimSpace(raw))
		if err != nil || n < 1 || n > 100 {
			return c, &Error{"LAWKA_REPORTS_TO_HIDE", raw, "must be a whole number from 1 to 100"}
		}
		c.ReportsToHide = n
	}

	c.PageCacheTTL = time.Second
	if raw := get("LAWKA_PAGE_CACHE_TTL", ""); raw != "" {
		d, err := time.ParseDuration(raw)
		if err != nil || d < 0 || d > time.Minute {
			return c, &Error{"LAWKA_PAGE_CACHE_TTL", raw, "must be a duration from 0s to 1m, such as 1s or 500ms"}
		}
		c.PageCacheTTL = d
	}

	c.MapTiles = DefaultMapTiles
	if raw, set := lookup("LAWKA_MAP_TILES"); set {
		c.MapTiles = strings.TrimSpace(raw)
	}
	if c.MapTiles != "" {
		if err := checkTiles(c.MapTiles); err != nil {
			return c, &Error{"LAWKA_MAP_TILES", redact(c.MapTiles), err.Error()}
		}
	}

	c.RequestTimeout = 15 * time.Second
	return c, nil
}

// checkTiles accepts an absolute http(s) URL template with {z}, {x} and {y} once each
// after the host, and no other placeholder ({s} sub-domains are not supported: the
// Content-Security-Policy names one origin).
func checkTiles(raw string) error {
	const want = "must be an http(s) URL with {z}, {x} and {y}, e.g. " + DefaultMapTiles + " (empty turns the map off)"
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return errors.New(want)
	}
	if h := u.Hostname(); net.ParseIP(h) == nil && !validHostname(h) {
		return fmt.Errorf("host %q is neither an IP address nor a host name; %s", h, want)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("port %q is not a number from 1 to 65535", p)
		}
	}
	rest := strings.TrimPrefix(raw, u.Scheme+"://"+u.Host)
	for _, p := range []string{"{z}", "{x}", "{y}"} {
		if strings.Count(rest, p) != 1 {
			return errors.New(want)
		}
		rest = strings.Replace(rest, p, "", 1)
	}
	if strings.ContainsAny(rest, "{}\"'<> ") {
		return errors.New("only the placeholders {z}, {x} and {y} are supported, and no quotes or spaces")
	}
	return nil
}

func checkAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("must be host:port or :port, e.g. :8080")
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port %q is not a number from 0 to 65535", port)
	}
	if host != "" && net.ParseIP(strings.Trim(host, "[]")) == nil && !validHostname(host) {
		return fmt.Errorf("host %q is neither an IP address nor a host name", host)
	}
	return nil
}

func validHostname(h string) bool {
	if len(h) > 253 {
		return false
	}
	for _, r := range h {
		if !(r == '-' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// redact hides a password in a URL so that error messages and logs never carry it,
// even when the URL is too broken to parse.
func redact(raw string) string {
	return userinfoPassword.ReplaceAllString(raw, "${1}xxxxx@")
}

var userinfoPassword = regexp.MustCompile(`(://[^:/@]*:)[^@/]*@`)

// Redact is redact for callers that log URLs.
func Redact(raw string) string { return redact(raw) }

func firstLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

func parseBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "1", "true", "yes", "on":
		return true, true
	case "0", "false", "no", "off":
		return false, true
	}
	return false, false
}
