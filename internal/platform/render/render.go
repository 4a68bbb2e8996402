// Package render turns server-side templates into pages. Templates are parsed once at
// start (a missing one stops start-up); each page is its own set: the layout, the
// shared partials and the page.
package render

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"path"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"

	"lawka/internal/platform/i18n"
)

// View is what every page template receives. Handlers fill Title and Data; Decorate
// (set by the server) fills the rest from the request.
type View struct {
	Title     string // translated page title, without the site name
	Error     bool   // the page shows a form error: the title starts with "Błąd:"
	Data      any
	L         *i18n.Localizer
	Lang      string
	Path      string // the current path, for the language links
	RequestID string
	// Token gives the CSRF token for the page's forms. It is asked only when a form is
	// drawn: a page without forms sets no cookie, so signed-out visitors can share it.
	Token   func() string
	User    *User
	Nav     []NavItem
	Langs   []LangLink
	Section string // the navigation entry of this page, marked aria-current
	Dev     bool
	Query   map[string]string // the request's query arguments (copied)
}

// CSRF is the token for the page's forms ("" without a Token).
func (v View) CSRF() string {
	if v.Token == nil {
		return ""
	}
	return v.Token()
}

// Q is a query argument of the request ("" when absent).
func (v View) Q(name string) string { return v.Query[name] }

// User is the signed-in person as the layout shows them.
type User struct {
	ID          int64
	DisplayName string
	Roles       []string
	Unread      int // unread notifications, for the header
}

// NavItem is one entry of the main navigation.
type NavItem struct {
	Key     string // translation key of the label, also its identity for Section
	Href    string
	Current bool
}

// LangLink switches the page to another language.
type LangLink struct {
	Lang, Label, Href string
	Current           bool
}

// Renderer executes the parsed page sets.
type Renderer struct {
	pages    map[string]*template.Template
	Decorate func(c *fiber.Ctx, v *View)
	bufs     sync.Pool
}

// New parses templates/layouts/*.html, templates/partials/*.html and every other
// templates/<feature>/<page>.html into a set named "<feature>/<page>".
func New(fsys fs.FS, assets *Assets) (*Renderer, error) {
	funcs := template.FuncMap{
		"asset": assets.URL,
		"add":   func(a, b int) int { return a + b },
		"kb":    func(bytes int) int { return (bytes + 1023) / 1024 },
		"upper": strings.ToUpper,
		"mul":   func(a, b int) int { return a * b },
		"list":  func(items ...string) []string { return items },
		"deref": func(s *string) string {
			if s == nil {
				return ""
			}
			return *s
		},
		"deref64": func(n *int64) int64 {
			if n == nil {
				return 0
			}
			return *n
		},
		"dict": func(kv ...any) (map[string]any, error) {
			if len(kv)%2 != 0 {
				return nil, fmt.Errorf("dict: odd number of arguments")
			}
			m := make(map[string]any, len(kv)/2)
			for i := 0; i < len(kv); i += 2 {
				k, ok := kv[i].(string)
				if !ok {
					return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
				}
				m[k] = kv[i+1]
			}
			return m, nil
		},
	}
	shared, err := fs.Glob(fsys, "templates/layouts/*.html")
	if err != nil {
		return nil, err
	}
	partials, err := fs.Glob(fsys, "templates/partials/*.html")
	if err != nil {
		return nil, err
	}
	shared = append(shared, partials...)
	if len(shared) == 0 {
		return nil, fmt.Errorf("templates: no layout found")
	}
	base, err := template.New("").Funcs(funcs).ParseFS(fsys, shared...)
	if err != nil {
		return nil, err
	}
	r := &Renderer{pages: map[string]*template.Template{}}
	r.bufs.New = func() any { return new(bytes.Buffer) }
	err = fs.WalkDir(fsys, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".html") {
			return err
		}
		dir := path.Dir(p)
		if dir == "templates/layouts" || dir == "templates/partials" {
			return nil
		}
		name := strings.TrimSuffix(strings.TrimPrefix(p, "templates/"), ".html")
		set, err := template.Must(base.Clone()).ParseFS(fsys, p)
		if err != nil {
			return fmt.Errorf("template %s: %w", name, err)
		}
		if set.Lookup("content") == nil {
			return fmt.Errorf("template %s defines no \"content\"", name)
		}
		r.pages[name] = set
		return nil
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// HTML renders page with status. The page is built in a buffer first, so a template
// error becomes a clean error page instead of half a page.
func (r *Renderer) HTML(c *fiber.Ctx, status int, page string, v View) error {
	set, ok := r.pages[page]
	if !ok {
		return fmt.Errorf("render: no page %q", page)
	}
	if r.Decorate != nil {
		r.Decorate(c, &v)
	}
	buf := r.bufs.Get().(*bytes.Buffer)
	buf.Reset()
	defer r.bufs.Put(buf)
	if err := set.ExecuteTemplate(buf, "base", v); err != nil {
		return fmt.Errorf("render %s: %w", page, err)
	}
	c.Status(status)
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	// SetBody copies: the buffer goes back to the pool while compression may still read
	// the response (c.Send would keep a reference to it).
	c.Response().SetBody(buf.Bytes())
	return nil
}
