// Package e2e drives the real application in headless Chromium: whole user journeys,
// accessibility checks with axe-core, layout checks and the README's screenshots.
//
// The tests are Go tests that drive the browser with chromedp over the DevTools
// protocol. So they start the app with servertest in the same process, on its own fresh
// database and Redis prefix, and can look into PostgreSQL beside the page; they need
// one toolchain and no node at test time (axe-core is vendored in testdata).
//
// One Chromium serves the whole package (started on first use, closed by TestMain);
// each Person is a new browser context, so two people keep separate cookies and can act
// side by side. Every action of a Person ends at a deadline, so a hang fails the test.
package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Timeout bounds everything one Person does in a test (unless made by NewPersonWithin).
const Timeout = 30 * time.Second

var shared struct {
	once   sync.Once
	ctx    context.Context // the browser; each Person is a child of it
	cancel context.CancelFunc
	dir    string
	err    error
}

// Browser is the package's headless Chromium, as one test sees it.
type Browser struct {
	t testing.TB
}

// NewBrowser returns the shared browser, starting it on first use. The binary is
// $LAWKA_CHROMIUM, else /usr/bin/chromium; it is never downloaded.
func NewBrowser(t testing.TB) *Browser {
	t.Helper()
	shared.once.Do(start)
	if shared.err != nil {
		t.Fatalf("e2e: starting Chromium: %v", shared.err)
	}
	return &Browser{t: t}
}

func start() {
	bin := os.Getenv("LAWKA_CHROMIUM")
	if bin == "" {
		bin = "/usr/bin/chromium"
	}
	shared.dir, shared.err = os.MkdirTemp("", "lawka-e2e-chromium-")
	if shared.err != nil {
		return
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.UserDataDir(shared.dir),
		chromedp.Headless,
		chromedp.NoSandbox, // containers and CI runners often forbid the sandbox's namespaces
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 1000),
		chromedp.Flag("accept-lang", "pl-PL,pl"), // a resident's browser: pages without ?lang are Polish
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	shared.ctx = ctx
	shared.cancel = func() { cancelCtx(); cancelAlloc() }
	// The first Run starts the browser; it must have no deadline, or the browser dies with it.
	startErr := make(chan error, 1)
	go func() { startErr <- chromedp.Do(ctx) }()
	select {
	case shared.err = <-startErr:
	case <-time.After(Timeout):
		shared.err = fmt.Errorf("%s did not start within %v", bin, Timeout)
	}
}

// closeBrowser stops the shared browser; TestMain calls it after the tests.
func closeBrowser() {
	if shared.cancel != nil {
		shared.cancel()
	}
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
}

// Person is one visitor: a fresh browser context (its own cookies and storage) with one
// tab, and a record of the tab's console errors and CSP violations.
type Person struct {
	Ctx  context.Context // the tab; every action on it ends at the Person's deadline
	t    testing.TB
	name string

	mu       sync.Mutex
	problems []problem
}

type problem struct {
	source string // "network" for the browser's own log of a failed request
	url    string
	text   string
}

// cspWorld is the isolated world where the CSP listener runs, unseen by the page's scripts.
const cspWorld = "lawka-e2e"

// NewPerson opens a new browser context and tab for a visitor called name.
func (b *Browser) NewPerson(name string) *Person {
	b.t.Helper()
	return b.NewPersonWithin(name, Timeout)
}

// NewPersonWithin is NewPerson for a visitor who may need more than Timeout in the test:
// the deadline runs from now, so in a journey it also counts the time they wait while
// other people act.
func (b *Browser) NewPersonWithin(name string, timeout time.Duration) *Person {
	t := b.t
	t.Helper()
	tab, cancelTab := chromedp.NewContext(shared.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancelTab)
	p := &Person{t: t, name: name}
	// The first Run opens the tab and binds its life to tab, not to the deadline below.
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("e2e: %s: opening a tab: %v", name, err)
	}
	ctx, cancel := context.WithTimeout(tab, timeout)
	t.Cleanup(cancel)
	p.Ctx = ctx
	if err := chromedp.Listen(ctx, p.record); err != nil {
		t.Fatalf("e2e: %s: %v", name, err)
	}
	p.Do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, log.Enable, cdp.Empty{}); err != nil {
			return err
		}
		if _, err := cdp.Call(ctx, tg, runtime.AddBinding, runtime.AddBindingParams{
			Name: "lawkaCSP", ExecutionContextName: cspWorld,
		}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
			Source: `addEventListener("securitypolicyviolation", e => lawkaCSP(
  "CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline") +
  " at " + e.sourceFile + ":" + e.lineNumber + (e.sample ? " (" + e.sample + ")" : "")), true);`,
			WorldName: cspWorld,
		})
		return err
	}))
	return p
}

// record runs on chromedp's reader goroutine: it must only note the event and return.
func (p *Person) record(ev any) {
	var pr problem
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		pr.text, pr.url = "uncaught: "+d.Text, d.URL
		if d.Exception != nil && d.Exception.Description != "" {
			pr.text += " " + d.Exception.Description
		}
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.ConsoleAPICalledTypeError && ev.Type != runtime.ConsoleAPICalledTypeAssert {
			return
		}
		var parts []string
		for _, a := range ev.Args {
			var v any
			if a.Description != "" || json.Unmarshal(a.Value, &v) != nil {
				v = a.Description
			}
			parts = append(parts, fmt.Sprint(v))
		}
		pr.text = "console." + string(ev.Type) + ": " + strings.Join(parts, " ")
	case *log.EventEntryAdded:
		if ev.Entry.Level != log.EntryLevelError {
			return
		}
		e := ev.Entry
		pr.source, pr.url, pr.text = string(e.Source), e.URL, "log ("+string(e.Source)+"): "+e.Text
		if e.URL != "" {
			pr.text += " [" + e.URL + "]"
		}
	case *runtime.EventBindingCalled:
		if ev.Name != "lawkaCSP" {
			return
		}
		pr.text = ev.Payload
	default:
		return
	}
	p.mu.Lock()
	p.problems = append(p.problems, pr)
	p.mu.Unlock()
}

// Do runs the actions in the Person's tab and fails the test at the first error.
func (p *Person) Do(steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.Ctx, steps...); err != nil {
		p.t.Fatalf("e2e: %s: %v", p.name, err)
	}
}

// Get runs one action that returns a value and fails the test on error.
func Get[T any](p *Person, a chromedp.Action[T]) T {
	p.t.Helper()
	v, err := chromedp.Run(p.Ctx, a)
	if err != nil {
		p.t.Fatalf("e2e: %s: %v", p.name, err)
	}
	return v
}

// Open navigates to url, waits for the load event and returns the HTTP status.
func (p *Person) Open(url string) int {
	p.t.Helper()
	res := Get(p, chromedp.NavigateResponse(url))
	return int(res.Status)
}

// DisableJavaScript turns the page's scripts off in this tab, to prove a page works without them.
func (p *Person) DisableJavaScript() { p.scripts(false) }

// CheckA11yWithoutJavaScript runs axe on the page as it was drawn without JavaScript:
// scripts go on only for axe itself (the page's own already did not run), then off again.
func (p *Person) CheckA11yWithoutJavaScript(pageName string) {
	p.t.Helper()
	p.scripts(true)
	CheckA11y(p.t, p.Ctx, pageName)
	p.scripts(false)
}

func (p *Person) scripts(on bool) {
	p.t.Helper()
	p.Do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: !on})
		return err
	}))
}

// CheckConsole fails the test if the current page logged an error, threw, or broke its
// CSP since the last check, then starts a new record. The failed load of the document
// itself (a 404 page) is the test's business, not an error here.
func (p *Person) CheckConsole(pageName string) {
	p.t.Helper()
	// A round trip to the renderer: the events it sent before the reply are recorded by then.
	loc := Get(p, chromedp.Location())
	p.mu.Lock()
	got := p.problems
	p.problems = nil
	p.mu.Unlock()
	var lines []string
	for _, pr := range got {
		if pr.source == "network" && pr.url == loc {
			continue
		}
		lines = append(lines, "  "+pr.text)
	}
	if len(lines) > 0 {
		p.t.Errorf("%s: %d console error(s) or CSP violation(s) on %s:\n%s", p.name, len(lines), pageName, strings.Join(lines, "\n"))
	}
}
