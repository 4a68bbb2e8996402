package e2e

import (
	"context"
	_ "embed"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// axeSource is axe-core, vendored (see testdata/README.md).
//
//go:embed testdata/axe.min.js
var axeSource string

// axeRun runs the WCAG 2.1 A and AA rules and keeps only what a report needs.
const axeRun = `axe.run(document, {
  runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
  resultTypes: ["violations"]
}).then(r => r.violations.map(v => ({
  id: v.id, impact: v.impact || "", help: v.help, helpUrl: v.helpUrl,
  nodes: v.nodes.map(n => ({target: JSON.stringify(n.target), html: n.html, summary: n.failureSummary || ""}))
})))`

type axeViolation struct {
	ID      string `json:"id"`
	Impact  string `json:"impact"`
	Help    string `json:"help"`
	HelpURL string `json:"helpUrl"`
	Nodes   []struct {
		Target  string `json:"target"`
		HTML    string `json:"html"`
		Summary string `json:"summary"`
	} `json:"nodes"`
}

// CheckA11y runs axe-core on the page open in ctx and fails the test with a readable list
// of every WCAG 2.1 A/AA violation. DevTools evaluation is not subject to the page's CSP,
// so the injection works on pages that forbid inline scripts. axe needs timers, so it
// cannot run in a tab whose scripts are disabled.
func CheckA11y(t testing.TB, ctx context.Context, pageName string) {
	t.Helper()
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof axe === "object"`))
	if err == nil && !loaded {
		_, err = chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](axeSource))
	}
	if err != nil {
		t.Fatalf("axe: injecting into %s: %v", pageName, err)
	}
	violations, err := chromedp.Run(ctx, chromedp.Evaluate[[]axeViolation](axeRun, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("axe: running on %s: %v", pageName, err)
	}
	if len(violations) > 0 {
		t.Errorf("axe: %d WCAG 2.1 AA violation(s) on %s:\n%s", len(violations), pageName, formatViolations(violations))
	}
}

func formatViolations(vs []axeViolation) string {
	const shown = 3
	var b strings.Builder
	for _, v := range vs {
		fmt.Fprintf(&b, "- %s [%s] %s (%d element(s)) %s\n", v.ID, v.Impact, v.Help, len(v.Nodes), v.HelpURL)
		for i, n := range v.Nodes {
			if i == shown {
				fmt.Fprintf(&b, "    … and %d more\n", len(v.Nodes)-shown)
				break
			}
			fmt.Fprintf(&b, "    %s\n      %s\n", n.Target, n.HTML)
			for _, line := range strings.Split(n.Summary, "\n") {
				if line = strings.TrimSpace(line); line != "" {
					fmt.Fprintf(&b, "      %s\n", line)
				}
			}
		}
	}
	return b.String()
}
