package markdown

import (
	"regexp"
	"strings"
	"testing"
)

// What must never come out of user Markdown, whatever goes in: a script element, an
// event-handler attribute, or a link or source with a scheme that runs code.
var dangerous = []*regexp.Regexp{
	regexp.MustCompile(`(?i)<\s*(script|iframe|object|embed|style|form|input|svg|math|base|meta|link)\b`),
	regexp.MustCompile(`(?i)<[^>]*\son[a-z]+\s*=`),
	regexp.MustCompile(`(?i)(href|src|action|formaction|xlink:href)\s*=\s*["']?\s*(javascript|vbscript|data):`),
}

func FuzzHTML(f *testing.F) {
	for _, seed := range []string{
		"Ławka dialogu na **Rynku Podgórskim**",
		"<script>alert(1)</script>",
		"<img src=x onerror=alert(1)>",
		"[kliknij](javascript:alert(1))",
		"[dane](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
		"<svg><script>alert(1)</script></svg>",
		"<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
		"<iframe src=//evil.example></iframe>",
		"| a | b |\n|---|---|\n| <b onmouseover=alert(1)>x</b> | ~~y~~ |",
		"https://example.org/ścieżka?q=żółć",
		"```\n<script>alert(1)</script>\n```",
		"<details open ontoggle=alert(1)>",
		"\u202e<script>alert(1)</script>",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, src string) {
		out := string(HTML(src))
		for _, re := range dangerous {
			if loc := re.FindStringIndex(out); loc != nil {
				t.Fatalf("unsafe output %q for input %q", out[max(0, loc[0]-20):min(len(out), loc[1]+20)], src)
			}
		}
		if strings.Contains(src, "\x00") && strings.Contains(out, "\x00") {
			t.Fatalf("a NUL byte passed through for %q", src)
		}
	})
}
