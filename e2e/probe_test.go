package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"

	"lawka/internal/server/servertest"
)

func TestProbe(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{})
	p := NewBrowser(t).NewPerson("probe")
	t.Log(p.Open(srv.URL + "/?lang=pl"))
	CheckA11y(t, p.Ctx, "home")
	p.CheckConsole("home")
	p.Do(chromedp.Evaluate[chromedp.Void](`{const s=document.createElement("script"); s.textContent="1"; document.body.append(s); const d=document.createElement("div"); d.setAttribute("style","color:red"); document.body.append(d)}`))
	p.Do(chromedp.Evaluate[chromedp.Void](`new Promise(r => setTimeout(r, 200))`, chromedp.EvalAwaitPromise))
	p.mu.Lock(); for _, x := range p.problems { t.Logf("%+v", x) }; p.mu.Unlock()
	t.Log(p.Open(srv.URL + "/nope"))
	p.mu.Lock(); for _, x := range p.problems { t.Logf("%+v", x) }; p.problems=nil; p.mu.Unlock()
	p.DisableJavaScript()
	t.Log(p.Open(srv.URL + "/"))
	t.Log(Get(p, chromedp.Evaluate[string](`document.documentElement.className + "|" + location.href`)))
	CheckA11y(t, p.Ctx, "home nojs")
}
