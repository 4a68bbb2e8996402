package server

import (
	"context"
	"encoding/json"
	"time"

	"github.com/gofiber/fiber/v2"

	"lawka/internal/platform/httpx"
	"lawka/internal/platform/problem"
	"lawka/internal/platform/ratelimit"
)

// CSPReportPath receives the browsers' Content-Security-Policy violation reports (the
// CSP's report-uri). It takes no CSRF token and no session: browsers send reports on
// their own, without either, and a report changes nothing but a log line and a counter.
const CSPReportPath = "/csp-report"

// cspReportsPerIP bounds what one address can make us log.
var cspReportsPerIP = ratelimit.Rule{Name: "csp-report:ip", Limit: 60, Window: time.Minute}

// cspReportBytes is the largest report read; real ones are well under 2 KB.
const cspReportBytes = 16 << 10

// cspViolation is the part of a report worth logging, in either format: report-uri's
// {"csp-report":{…}} (kebab-case) or the Reporting API's [{"type":"csp-violation","body":{…}}].
type cspViolation struct {
	DocumentURI        string `json:"document-uri"`
	ViolatedDirective  string `json:"violated-directive"`
	EffectiveDirective string `json:"effective-directive"`
	BlockedURI         string `json:"blocked-uri"`
	SourceFile         string `json:"source-file"`
	LineNumber         int    `json:"line-number"`
	Sample             string `json:"script-sample"`
}

type cspViolationBody struct {
	DocumentURL        string `json:"documentURL"`
	EffectiveDirective string `json:"effectiveDirective"`
	BlockedURL         string `json:"blockedURL"`
	SourceFile         string `json:"sourceFile"`
	LineNumber         int    `json:"lineNumber"`
	Sample             string `json:"sample"`
}

// cspReport logs one violation report at warn and counts it (lawka_csp_reports_total).
// Anything else answers 400 and is not counted; floods answer 429.
func (s *Server) cspReport(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if ok, retry := s.limits.Allow(ctx, cspReportsPerIP, httpx.ClientIP(c)); !ok {
		return problem.TooMany(retry)
	}
	body := c.Body()
	if len(body) > cspReportBytes {
		return fiber.ErrRequestEntityTooLarge
	}
	var vs []cspViolation
	var legacy struct {
		Report *cspViolation `json:"csp-report"`
	}
	var reports []struct {
		Type string           `json:"type"`
		Body cspViolationBody `json:"body"`
	}
	switch {
	case json.Unmarshal(body, &legacy) == nil && legacy.Report != nil:
		vs = append(vs, *legacy.Report)
	case json.Unmarshal(body, &reports) == nil && len(reports) > 0:
		for _, r := range reports {
			if r.Type != "csp-violation" {
				continue
			}
			b := r.Body
			vs = append(vs, cspViolation{DocumentURI: b.DocumentURL, EffectiveDirective: b.EffectiveDirective,
				BlockedURI: b.BlockedURL, SourceFile: b.SourceFile, LineNumber: b.LineNumber, Sample: b.Sample})
		}
	}
	if len(vs) == 0 {
		return problem.BadRequest("malformed_json", "error.malformed_json")
	}
	for _, v := range vs {
		s.metrics.CSPReports.Inc()
		s.deps.Log.Warn("csp violation", "request_id", httpx.RequestID(c), "ip", httpx.ClientIP(c),
			"document", clip(v.DocumentURI), "directive", clip(v.ViolatedDirective), "effective", clip(v.EffectiveDirective),
			"blocked", clip(v.BlockedURI), "source", clip(v.SourceFile), "line", v.LineNumber, "sample", clip(v.Sample))
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// clip keeps a logged field short (a report is the sender's text).
func clip(s string) string {
	const n = 300
	for i := range s {
		if i >= n {
			return s[:i] + "…"
		}
	}
	return s
}
