package server_test

// The OpenAPI document (internal/server/openapi.json) against the server: every /api/v1
// route the server mounts is documented and nothing else is; the document is well
// formed (OpenAPI 3.1, a 2xx for every operation, every $ref resolves, path parameters
// declared); who may call each operation (x-access) agrees with the authorisation
// matrix; every documented request field is one the handler takes; and real answers
// of every operation have a documented status and match its schema.

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"lawka/internal/server/servertest"
)

const openAPIFile = "internal/server/openapi.json"

// openAPIDoc is the parsed document (numbers kept as json.Number).
type openAPIDoc map[string]any

func loadOpenAPI(t *testing.T) ([]byte, openAPIDoc) {
	t.Helper()
	raw, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := parseOpenAPI(raw)
	if err != nil {
		t.Fatalf("%s is not valid JSON: %v", openAPIFile, err)
	}
	return raw, doc
}

func parseOpenAPI(raw []byte) (openAPIDoc, error) {
	var doc openAPIDoc
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("data after the document")
	}
	return doc, nil
}

// openAPIMethods are the operations a path item may hold.
var openAPIMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// openAPIOp is one operation of the document.
type openAPIOp struct {
	method, path string // "POST", "/api/v1/polls/{id}/votes"
	op           map[string]any
}

func (o openAPIOp) String() string { return o.method + " " + o.path }

func (d openAPIDoc) operations() []openAPIOp {
	paths, _ := d["paths"].(map[string]any)
	var out []openAPIOp
	for p, item := range paths {
		m, _ := item.(map[string]any)
		for _, method := range openAPIMethods {
			if op, ok := m[method].(map[string]any); ok {
				out = append(out, openAPIOp{strings.ToUpper(method), p, op})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// resolve follows a local reference ("#/components/schemas/Poll").
func (d openAPIDoc) resolve(ref string) (any, bool) {
	pointer, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, false
	}
	var cur any = map[string]any(d)
	for _, part := range strings.Split(pointer, "/") {
		part = strings.NewReplacer("~1", "/", "~0", "~").Replace(part)
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// deref follows $ref until a value without one.
func (d openAPIDoc) deref(v any) map[string]any {
	for range 10 {
		m, _ := v.(map[string]any)
		ref, ok := m["$ref"].(string)
		if !ok {
			return m
		}
		if v, ok = d.resolve(ref); !ok {
			return nil
		}
	}
	return nil
}

// fiberToOpenAPI turns a Fiber pattern into an OpenAPI path: /polls/:id → /polls/{id}.
var fiberParam = regexp.MustCompile(`:([A-Za-z0-9_]+)\??`)

func fiberToOpenAPI(pattern string) string { return fiberParam.ReplaceAllString(pattern, "{$1}") }

func openAPIToFiber(path string) string {
	return regexp.MustCompile(`\{([A-Za-z0-9_]+)\}`).ReplaceAllString(path, ":$1")
}

// openAPIAccess is the x-access value an authorisation-matrix row stands for ("" when
// the row's pattern has no name here).
func openAPIAccess(row authzRow) string {
	wants := map[authzWants]bool{}
	for _, p := range row.probes {
		wants[p.want] = true
	}
	switch {
	case wants[NoOneElse]:
		return "owner" // others' objects: nobody but their owner, staff included
	case wants[SignedIn] && wants[StaffOnly]:
		return "owner_or_staff" // the own object for anyone signed in, another's for the staff
	case wants[AdvocateOrStaff]:
		return "advocate_or_staff" // advocates, moderators and admins (for logging promises: a debate's own moderators)
	case len(wants) != 1:
		return ""
	}
	for w := range wants {
		return map[authzWants]string{Public: "public", SignedIn: "signed_in", StaffOnly: "staff", AdminOnly: "admin"}[w]
	}
	return ""
}

// openAPIAccessBeyondMatrix are operations whose matrix row shows less than who may
// call them: the row probes only another person's object, so it reads {"staff"}, while
// the owner may call it too, which TestOpenAPIAnswersMatchTheDocument shows with real
// calls. Remove an entry once its row probes the caller's own object as well.
var openAPIAccessBeyondMatrix = map[string][2]string{
	"DELETE /api/v1/comments/:id": {"staff", "owner_or_staff"},
}

var openAPIAccessValues = []string{"public", "signed_in", "owner", "owner_or_staff", "advocate_or_staff", "staff", "admin"}

func TestOpenAPIDocumentIsWellFormed(t *testing.T) {
	t.Parallel()
	_, doc := loadOpenAPI(t)
	if v, _ := doc["openapi"].(string); !regexp.MustCompile(`^3\.1\.\d+$`).MatchString(v) {
		t.Errorf("%s: openapi is %q, want 3.1.x", openAPIFile, v)
	}
	info, _ := doc["info"].(map[string]any)
	if info["title"] != "Ławka API" || info["version"] != "1" {
		t.Errorf("%s: info = %v, want title Ławka API and version 1", openAPIFile, info)
	}
	if _, ok := doc["x-websocket"].(map[string]any); !ok {
		t.Errorf("%s: x-websocket (the /ws description) is missing", openAPIFile)
	}

	// Every $ref, anywhere, resolves.
	var walk func(v any, at string)
	walk = func(v any, at string) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				if _, ok := doc.resolve(ref); !ok {
					t.Errorf("%s: $ref %q at %s does not resolve", openAPIFile, ref, at)
				}
			}
			for k, x := range v {
				walk(x, at+"/"+k)
			}
		case []any:
			for i, x := range v {
				walk(x, at+"/"+strconv.Itoa(i))
			}
		}
	}
	walk(map[string]any(doc), "#")

	ops := doc.operations()
	if len(ops) < 20 {
		t.Fatalf("%s has only %d operations: the paths look wrong", openAPIFile, len(ops))
	}
	authz := map[string]authzRow{}
	for _, row := range authzTable {
		authz[row.route] = row
	}
	statusKey := regexp.MustCompile(`^([1-5][0-9][0-9]|[1-5]XX|default)$`)
	ids := map[string]string{}
	for _, o := range ops {
		id, _ := o.op["operationId"].(string)
		if id == "" {
			t.Errorf("%s: %s has no operationId", openAPIFile, o)
		} else if other, dup := ids[id]; dup {
			t.Errorf("%s: %s and %s share the operationId %q", openAPIFile, o, other, id)
		}
		ids[id] = o.String()

		responses, _ := o.op["responses"].(map[string]any)
		has2xx := false
		for code := range responses {
			if !statusKey.MatchString(code) {
				t.Errorf("%s: %s: response key %q is not a status code", openAPIFile, o, code)
			}
			has2xx = has2xx || strings.HasPrefix(code, "2")
		}
		if !has2xx {
			t.Errorf("%s: %s has no 2xx response", openAPIFile, o)
		}
		if _, ok := o.op["security"].([]any); !ok {
			t.Errorf("%s: %s has no security list ([] for public operations)", openAPIFile, o)
		}

		// Path parameters: each {name} of the path declared once, in: path, required.
		want := map[string]bool{}
		for _, m := range regexp.MustCompile(`\{([^}]+)\}`).FindAllStringSubmatch(o.path, -1) {
			want[m[1]] = true
		}
		params, _ := o.op["parameters"].([]any)
		if item, ok := doc["paths"].(map[string]any)[o.path].(map[string]any); ok {
			shared, _ := item["parameters"].([]any)
			params = append(slices.Clone(params), shared...)
		}
		declared := map[string]bool{}
		for _, p := range params {
			pm := doc.deref(p)
			if pm["in"] != "path" {
				continue
			}
			name, _ := pm["name"].(string)
			if !want[name] {
				t.Errorf("%s: %s declares path parameter %q, which its path does not have", openAPIFile, o, name)
			}
			if pm["required"] != true {
				t.Errorf("%s: %s: path parameter %q must be required", openAPIFile, o, name)
			}
			declared[name] = true
		}
		for name := range want {
			if !declared[name] {
				t.Errorf("%s: %s: path parameter {%s} is not declared in its parameters", openAPIFile, o, name)
			}
		}

		// Who may call it agrees with the authorisation matrix (authz_test.go).
		access, _ := o.op["x-access"].(string)
		if !slices.Contains(openAPIAccessValues, access) {
			t.Errorf("%s: %s: x-access is %q, want one of %v", openAPIFile, o, access, openAPIAccessValues)
		} else if row, ok := authz[o.method+" "+openAPIToFiber(o.path)]; ok {
			want := openAPIAccess(row)
			if beyond, ok := openAPIAccessBeyondMatrix[row.route]; ok && want == beyond[0] {
				want = beyond[1]
			}
			if want != "" && want != access {
				t.Errorf("%s: %s: x-access is %q but the authorisation matrix (authz_test.go) says %q", openAPIFile, o, access, want)
			}
		}
	}
}

// TestOpenAPIMatchesMountedRoutes: every /api/v1 route the server mounts is in the
// document, and the document lists nothing the server does not mount.
func TestOpenAPIMatchesMountedRoutes(t *testing.T) {
	t.Parallel()
	_, doc := loadOpenAPI(t)
	s := servertest.Start(t, servertest.Options{NoSeed: true})

	mounted := map[string]bool{}
	for _, r := range s.Server.App.GetRoutes(true) {
		if strings.HasPrefix(r.Path, "/api/v1/") && !authzSkipped(r.Method, r.Path) {
			mounted[r.Method+" "+fiberToOpenAPI(r.Path)] = true
		}
	}
	if len(mounted) < 20 {
		t.Fatalf("only %d /api/v1 routes mounted: the route walk looks wrong", len(mounted))
	}
	documented := map[string]bool{}
	for _, o := range doc.operations() {
		documented[o.String()] = true
	}
	var missing, extra []string
	for r := range mounted {
		if !documented[r] {
			missing = append(missing, r)
		}
	}
	for r := range documented {
		if !mounted[r] {
			extra = append(extra, r)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	for _, r := range missing {
		method, path, _ := strings.Cut(r, " ")
		t.Errorf("%s is mounted (internal/server/routes.go) but not in the OpenAPI document: add \"%s\" under \"paths\" → %q "+
			"in %s, with its operationId, x-access, parameters, request body (exactly the fields the handler decodes), "+
			"and its success and error responses (API.md fixes the shapes)",
			r, strings.ToLower(method), path, openAPIFile)
	}
	for _, r := range extra {
		t.Errorf("%s is in the OpenAPI document (%s) but the server does not mount it: remove it from \"paths\", or mount the route",
			r, openAPIFile)
	}
}

func TestOpenAPIDocumentIsServed(t *testing.T) {
	t.Parallel()
	raw, _ := loadOpenAPI(t)
	s := servertest.Start(t, servertest.Options{NoSeed: true})
	get := func(header ...string) (*http.Response, []byte) {
		req, err := http.NewRequest(http.MethodGet, s.URL+"/api/v1/openapi.json", nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, body
	}

	resp, body := get()
	etag := resp.Header.Get("ETag")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") ||
		!bytes.Equal(body, raw) || etag == "" || !strings.Contains(resp.Header.Get("Cache-Control"), "public") {
		t.Fatalf("GET /api/v1/openapi.json: %d %q, ETag %q, Cache-Control %q, %d bytes (the file has %d)",
			resp.StatusCode, resp.Header.Get("Content-Type"), etag, resp.Header.Get("Cache-Control"), len(body), len(raw))
	}
	for _, inm := range []string{etag, "W/" + etag, `"other", ` + etag, "*"} {
		resp, body = get("If-None-Match", inm)
		if resp.StatusCode != http.StatusNotModified || len(body) != 0 || resp.Header.Get("ETag") != etag {
			t.Errorf("If-None-Match %s: %d with %d bytes, ETag %q; want 304, empty, the same ETag", inm, resp.StatusCode, len(body), resp.Header.Get("ETag"))
		}
	}
	if resp, _ = get("If-None-Match", `"stale"`); resp.StatusCode != http.StatusOK {
		t.Errorf("If-None-Match with a stale tag: %d, want 200", resp.StatusCode)
	}
	// Compressed for clients that ask, and the same document once decoded.
	resp, body = get("Accept-Encoding", "gzip")
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if body, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	}
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, raw) {
		t.Errorf("with Accept-Encoding gzip: %d, %d bytes decoded (%q), want the document", resp.StatusCode, len(body),
			resp.Header.Get("Content-Encoding"))
	}
}

// TestOpenAPIRequestFieldsAreTheHandlers sends each documented request-body field with a
// value of the wrong type: a field the handler takes answers 422 validation_failed, one
// it does not know answers 422 unknown_field, which means the document is wrong. It
// sends a field no operation documents too: it must never be accepted.
func TestOpenAPIRequestFieldsAreTheHandlers(t *testing.T) {
	t.Parallel()
	_, doc := loadOpenAPI(t)
	s := servertest.Start(t, servertest.Options{})
	client := newAuthzClient(t, s.URL)
	admin, _ := client.login(t, "admin@example.org")

	checked := 0
	for _, o := range doc.operations() {
		rb := doc.deref(o.op["requestBody"])
		if rb == nil {
			continue
		}
		content, _ := rb["content"].(map[string]any)
		schema := doc.deref(doc.deref(content["application/json"])["schema"])
		if schema == nil {
			t.Errorf("%s: %s: the request body has no application/json schema", openAPIFile, o)
			continue
		}
		if schema["additionalProperties"] != false {
			t.Errorf("%s: %s: the request body schema needs \"additionalProperties\": false (unknown fields are refused with 422)", openAPIFile, o)
		}
		path := regexp.MustCompile(`\{[^}]+\}`).ReplaceAllString(o.path, "1")
		send := func(body string) (int, string, map[string]string) {
			r := client.send(t, o.method, path, admin, "application/json", body)
			var e struct {
				Error struct {
					Code   string            `json:"code"`
					Fields map[string]string `json:"fields"`
				} `json:"error"`
			}
			_ = json.Unmarshal([]byte(r.Body), &e)
			if r.StatusCode >= 500 {
				t.Errorf("%s %s %s: %d\n%s", o.method, path, body, r.StatusCode, authzSnippet(r.Body))
			}
			return r.StatusCode, e.Error.Code, e.Error.Fields
		}
		props, _ := schema["properties"].(map[string]any)
		names := make([]string, 0, len(props))
		for name := range props {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			wrong := "true" // wrong for every type but boolean
			if doc.deref(props[name])["type"] == "boolean" {
				wrong = `"not a boolean"`
			}
			status, code, fields := send(`{"` + name + `":` + wrong + `}`)
			if status == http.StatusUnprocessableEntity && code == "unknown_field" {
				t.Errorf("%s: %s documents the request field %q, but the handler does not take it (422 unknown_field %v): "+
					"correct the field's name or remove it", openAPIFile, o, name, fields)
			}
			checked++
		}
		if status, _, _ := send(`{"not_a_documented_field":1}`); status < 300 {
			t.Errorf("%s %s accepted a body with an unknown field (%d): the handler must decode with httpx.DecodeJSON", o.method, path, status)
		}
	}
	if checked < 20 {
		t.Errorf("only %d request fields checked: the request bodies look wrong", checked)
	}
}

// openAPIValidator checks JSON values against the document's schemas: the part of JSON
// Schema the document uses (type, enum, const, properties, required,
// additionalProperties, items, allOf/anyOf/oneOf, format date-time, $ref).
type openAPIValidator struct{ doc openAPIDoc }

func (v openAPIValidator) check(schema, value any, at string) []string {
	s := v.doc.deref(schema)
	if s == nil {
		if schema == true || schema == nil {
			return nil
		}
		return []string{at + ": unresolvable schema"}
	}
	var errs []string
	if types, ok := s["type"]; ok {
		var list []any
		switch ty := types.(type) {
		case string:
			list = []any{ty}
		case []any:
			list = ty
		}
		if !slices.ContainsFunc(list, func(ty any) bool { return jsonHasType(value, ty.(string)) }) {
			return []string{fmt.Sprintf("%s: %s is not of type %v", at, jsonBrief(value), types)}
		}
	}
	if c, ok := s["const"]; ok && !jsonEqual(c, value) {
		errs = append(errs, fmt.Sprintf("%s: %s is not %s", at, jsonBrief(value), jsonBrief(c)))
	}
	if enum, ok := s["enum"].([]any); ok && !slices.ContainsFunc(enum, func(e any) bool { return jsonEqual(e, value) }) {
		errs = append(errs, fmt.Sprintf("%s: %s is not one of %s", at, jsonBrief(value), jsonBrief(enum)))
	}
	if s["format"] == "date-time" {
		if str, ok := value.(string); ok {
			if _, err := time.Parse(time.RFC3339Nano, str); err != nil {
				errs = append(errs, fmt.Sprintf("%s: %q is not an RFC 3339 time", at, str))
			}
		}
	}
	for _, sub := range asList(s["allOf"]) {
		errs = append(errs, v.check(sub, value, at)...)
	}
	for key, want := range map[string]func(int) bool{"anyOf": func(n int) bool { return n >= 1 }, "oneOf": func(n int) bool { return n == 1 }} {
		subs := asList(s[key])
		if len(subs) == 0 {
			continue
		}
		matched := 0
		for _, sub := range subs {
			if len(v.check(sub, value, at)) == 0 {
				matched++
			}
		}
		if !want(matched) {
			errs = append(errs, fmt.Sprintf("%s: %s matches %d of its %s schemas", at, jsonBrief(value), matched, key))
		}
	}
	switch val := value.(type) {
	case map[string]any:
		props, _ := s["properties"].(map[string]any)
		for _, r := range asList(s["required"]) {
			if _, ok := val[r.(string)]; !ok {
				errs = append(errs, fmt.Sprintf("%s: required %q is missing", at, r))
			}
		}
		keys := make([]string, 0, len(val))
		for k := range val {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if p, ok := props[k]; ok {
				errs = append(errs, v.check(p, val[k], at+"."+k)...)
				continue
			}
			switch ap := s["additionalProperties"].(type) {
			case bool:
				if !ap {
					errs = append(errs, fmt.Sprintf("%s: %q is not in the schema (additionalProperties is false)", at, k))
				}
			case map[string]any:
				errs = append(errs, v.check(ap, val[k], at+"."+k)...)
			}
		}
	case []any:
		if items, ok := s["items"]; ok {
			for i, x := range val {
				errs = append(errs, v.check(items, x, at+"["+strconv.Itoa(i)+"]")...)
			}
		}
	}
	return errs
}

func asList(v any) []any { l, _ := v.([]any); return l }

func jsonHasType(v any, ty string) bool {
	switch ty {
	case "null":
		return v == nil
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "number":
		_, ok := v.(json.Number)
		return ok
	case "integer":
		n, ok := v.(json.Number)
		_, err := n.Int64()
		return ok && err == nil
	}
	return false
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

func jsonBrief(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 120 {
		return string(b[:120]) + "…"
	}
	return string(b)
}

// openAPICalls sends real requests and checks each answer against the document.
type openAPICalls struct {
	t       *testing.T
	s       *servertest.Running
	doc     openAPIDoc
	v       openAPIValidator
	client  authzClient
	covered map[string]bool
}

// call sends method path (an instance of the documented route) and wants status; the
// status must be documented for the operation and the body must match its schema.
// body is JSON-encoded unless it is a string (sent as it is).
func (c *openAPICalls) call(method, route, path, token string, body any, want int) servertest.Response {
	c.t.Helper()
	ct, raw := "", ""
	switch b := body.(type) {
	case nil:
	case string:
		ct, raw = "application/json", b
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		ct, raw = "application/json", string(enc)
	}
	if method != http.MethodGet && ct == "" {
		ct = "application/json"
	}
	r := c.client.send(c.t, method, path, token, ct, raw)
	op := method + " " + route
	if r.StatusCode != want {
		c.t.Errorf("%s (%s): %d, want %d\n%s", op, path, r.StatusCode, want, authzSnippet(r.Body))
		return r
	}
	item, _ := c.doc["paths"].(map[string]any)[route].(map[string]any)
	o, ok := item[strings.ToLower(method)].(map[string]any)
	if !ok {
		c.t.Errorf("%s is not in %s", op, openAPIFile)
		return r
	}
	c.covered[op] = true
	responses, _ := o["responses"].(map[string]any)
	code := strconv.Itoa(r.StatusCode)
	resp, ok := responses[code]
	if !ok {
		resp, ok = responses[code[:1]+"XX"]
	}
	if !ok {
		resp, ok = responses["default"]
	}
	if !ok {
		c.t.Errorf("%s answered %d, which %s does not list for it\n%s", op, r.StatusCode, openAPIFile, authzSnippet(r.Body))
		return r
	}
	content, _ := c.doc.deref(resp)["content"].(map[string]any)
	media := c.doc.deref(content["application/json"])
	if media == nil {
		if len(strings.TrimSpace(r.Body)) != 0 {
			c.t.Errorf("%s %d: the document says no body, the server sent %s", op, r.StatusCode, authzSnippet(r.Body))
		}
		return r
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		c.t.Errorf("%s %d: Content-Type %q, want application/json", op, r.StatusCode, r.Header.Get("Content-Type"))
	}
	value, err := parseJSONValue(r.Body)
	if err != nil {
		c.t.Errorf("%s %d: the body is not JSON: %v\n%s", op, r.StatusCode, err, authzSnippet(r.Body))
		return r
	}
	// The same fault in every item of a list is told once, at items[].
	var seen []string
	for _, e := range c.v.check(media["schema"], value, "body") {
		if e = openAPIIndex.ReplaceAllString(e, "[]"); !slices.Contains(seen, e) {
			seen = append(seen, e)
			c.t.Errorf("%s %d does not match %s: %s", op, r.StatusCode, openAPIFile, e)
		}
	}
	return r
}

var openAPIIndex = regexp.MustCompile(`\[[0-9]+\]`)

func parseJSONValue(s string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}

// TestOpenAPIAnswersMatchTheDocument calls every operation, with successes and the
// usual errors, and checks that each answer's status is documented and its body
// matches the documented schema.
func TestOpenAPIAnswersMatchTheDocument(t *testing.T) {
	t.Parallel()
	_, doc := loadOpenAPI(t)
	s := servertest.Start(t, servertest.Options{})
	fx := authzSetup(t, s)
	c := &openAPICalls{t: t, s: s, doc: doc, v: openAPIValidator{doc}, client: fx.client, covered: map[string]bool{}}
	login := func(email string) string {
		token, _ := fx.client.login(t, email)
		return token
	}
	admin, moderator := login("admin@example.org"), login("moderator@example.org")
	verified, plain, member := login("resident@example.org"), login(authzActors[asResident].email), login("anna.mieszkanka@example.org")
	user := "/api/v1/admin/users/" + fx.vals["user"]

	c.call("GET", "/api/v1/openapi.json", "/api/v1/openapi.json", "", nil, 200)
	c.call("GET", "/api/v1/neighbourhoods", "/api/v1/neighbourhoods", "", nil, 200)
	c.call("GET", "/api/v1/allies", "/api/v1/allies", "", nil, 200)
	c.call("GET", "/api/v1/allies", "/api/v1/allies?type=person&district=krowodrza", "", nil, 200)
	c.call("GET", "/api/v1/allies", "/api/v1/allies?type=guild", "", nil, 422)

	// Accounts.
	const newEmail, newPassword = "openapi.nowa@example.org", "bardzo-dlugie-haslo-42"
	reg := map[string]any{"email": newEmail, "password": newPassword, "display_name": "Nowa Osoba", "accept_terms": true}
	c.call("POST", "/api/v1/auth/register", "/api/v1/auth/register", "", reg, 201)
	c.call("POST", "/api/v1/auth/register", "/api/v1/auth/register", "", reg, 409)
	c.call("POST", "/api/v1/auth/register", "/api/v1/auth/register", "", map[string]any{"email": "x"}, 422)
	c.call("POST", "/api/v1/auth/register", "/api/v1/auth/register", "", `{"email":`, 400)
	c.call("POST", "/api/v1/auth/register", "/api/v1/auth/register", "", map[string]any{"admin": true}, 422)
	r := c.client.send(t, "POST", "/api/v1/auth/register", "", "text/plain", "{}")
	if r.StatusCode != 415 {
		t.Errorf("register as text/plain: %d, want 415", r.StatusCode)
	}
	c.call("POST", "/api/v1/auth/login", "/api/v1/auth/login", "", map[string]any{"email": newEmail, "password": "wrong-password"}, 401)
	c.call("POST", "/api/v1/auth/login", "/api/v1/auth/login", "", map[string]any{"email": "", "password": ""}, 422)
	var session struct {
		Token string `json:"token"`
		User  struct {
			ID int64 `json:"id"`
		} `json:"user"`
	}
	c.call("POST", "/api/v1/auth/login", "/api/v1/auth/login", "", map[string]any{"email": newEmail, "password": newPassword}, 200).JSON(t, &session)
	fresh := session.Token
	c.call("GET", "/api/v1/me", "/api/v1/me", fresh, nil, 200)
	c.call("GET", "/api/v1/me", "/api/v1/me", admin, nil, 200)
	c.call("GET", "/api/v1/me", "/api/v1/me", "", nil, 401)
	c.call("GET", "/api/v1/me/export", "/api/v1/me/export", member, nil, 200)
	c.call("GET", "/api/v1/me/export", "/api/v1/me/export", "", nil, 401)
	c.call("GET", "/api/v1/me/signatures", "/api/v1/me/signatures", member, nil, 200)
	c.call("POST", "/api/v1/verification/redeem", "/api/v1/verification/redeem", verified, map[string]any{"code": "ABCD-EFGH-JK"}, 409)
	c.call("POST", "/api/v1/verification/redeem", "/api/v1/verification/redeem", fresh, map[string]any{"code": "ABCD-EFGH-JK"}, 422)

	// Staff: people and the audit log.
	c.call("GET", "/api/v1/admin/users", "/api/v1/admin/users", admin, nil, 200)
	c.call("GET", "/api/v1/admin/users", "/api/v1/admin/users?role=moderator", moderator, nil, 200)
	c.call("GET", "/api/v1/admin/users", "/api/v1/admin/users", plain, nil, 403)
	c.call("GET", "/api/v1/admin/users", "/api/v1/admin/users?cursor=nonsense!", admin, nil, 400)
	c.call("GET", "/api/v1/admin/users", "/api/v1/admin/users?role=king", admin, nil, 422)
	c.call("PUT", "/api/v1/admin/users/{id}/roles", user+"/roles", admin, map[string]any{"roles": []string{"advocate"}, "reason": "test"}, 200)
	c.call("PUT", "/api/v1/admin/users/{id}/roles", user+"/roles", admin, map[string]any{"roles": []string{}}, 422)
	c.call("PUT", "/api/v1/admin/users/{id}/roles", user+"/roles", moderator, map[string]any{"roles": []string{}}, 403)
	c.call("PUT", "/api/v1/admin/users/{id}/roles", "/api/v1/admin/users/999999/roles", admin, map[string]any{"roles": []string{}, "reason": "x"}, 404)
	newUser := "/api/v1/admin/users/" + strconv.FormatInt(session.User.ID, 10)
	c.call("POST", "/api/v1/admin/users/{id}/verify", newUser+"/verify", moderator, map[string]any{"note": "spotkanie"}, 200)
	c.call("POST", "/api/v1/admin/users/{id}/verify", newUser+"/verify", moderator, map[string]any{}, 409)
	c.call("POST", "/api/v1/admin/users/{id}/verify", "/api/v1/admin/users/999999/verify", moderator, map[string]any{}, 404)
	c.call("GET", "/api/v1/admin/audit", "/api/v1/admin/audit", admin, nil, 200)
	c.call("GET", "/api/v1/admin/audit", "/api/v1/admin/audit?action=role&from=2020-01-01", admin, nil, 200)
	c.call("GET", "/api/v1/admin/audit", "/api/v1/admin/audit?from=yesterday", admin, nil, 422)
	c.call("GET", "/api/v1/admin/audit", "/api/v1/admin/audit", moderator, nil, 403)

	// Polls: a draft, opened, voted in, counted on paper, closed, its receipts.
	var created struct {
		Poll struct {
			ID      int64 `json:"id"`
			Options []struct {
				ID int64 `json:"id"`
			} `json:"options"`
		} `json:"poll"`
	}
	newPoll := map[string]any{"question": "Czy ławka ma stanąć przy placu?", "kind": "multiple", "options": []string{"tak", "nie", "gdzie indziej"},
		"max_choices": 2, "eligibility": "open", "closes_at": time.Now().Add(time.Hour).Format(time.RFC3339)}
	c.call("POST", "/api/v1/polls", "/api/v1/polls", moderator, newPoll, 201).JSON(t, &created)
	c.call("POST", "/api/v1/polls", "/api/v1/polls", moderator, map[string]any{"question": "?"}, 422)
	c.call("POST", "/api/v1/polls", "/api/v1/polls", plain, newPoll, 403)
	if created.Poll.ID == 0 || len(created.Poll.Options) < 3 {
		t.Fatalf("the created poll is %+v", created.Poll)
	}
	poll := "/api/v1/polls/" + strconv.FormatInt(created.Poll.ID, 10)
	opt := func(i int) int64 { return created.Poll.Options[i].ID }
	c.call("GET", "/api/v1/polls/{id}", poll, "", nil, 404) // a draft
	c.call("GET", "/api/v1/polls/{id}", poll, moderator, nil, 200)
	c.call("GET", "/api/v1/polls/{id}", "/api/v1/polls/999999", "", nil, 404)
	c.call("POST", "/api/v1/polls/{id}/votes", poll+"/votes", verified, map[string]any{"option_ids": []int64{opt(0)}}, 409)
	c.call("POST", "/api/v1/polls/{id}/close", poll+"/close", moderator, nil, 409)
	c.call("POST", "/api/v1/polls/{id}/open", poll+"/open", moderator, nil, 200)
	c.call("POST", "/api/v1/polls/{id}/open", poll+"/open", plain, nil, 403)
	c.call("POST", "/api/v1/polls/{id}/open", "/api/v1/polls/999999/open", moderator, nil, 404)
	c.call("GET", "/api/v1/polls/{id}", poll, "", nil, 200)
	c.call("POST", "/api/v1/polls/{id}/votes", poll+"/votes", "", map[string]any{"option_ids": []int64{opt(0), opt(2)}}, 201)
	c.call("POST", "/api/v1/polls/{id}/votes", poll+"/votes", verified, map[string]any{"option_ids": []int64{opt(1)}}, 201)
	c.call("POST", "/api/v1/polls/{id}/votes", poll+"/votes", verified, map[string]any{"option_ids": []int64{opt(0)}}, 200)
	c.call("POST", "/api/v1/polls/{id}/votes", poll+"/votes", verified, map[string]any{"option_ids": []int64{}}, 422)
	c.call("POST", "/api/v1/polls/{id}/votes", poll+"/votes", verified, map[string]any{"option_ids": []int64{opt(0), opt(1), opt(2)}}, 422)
	c.call("POST", "/api/v1/polls/{id}/votes", "/api/v1/polls/999999/votes", verified, map[string]any{"option_ids": []int64{1}}, 404)
	c.call("GET", "/api/v1/polls/{id}/results", poll+"/results", "", nil, 200)
	c.call("GET", "/api/v1/polls/{id}/results", "/api/v1/polls/999999/results", "", nil, 404)
	counts := map[string]any{"counts": map[string]int{strconv.FormatInt(opt(0), 10): 4, strconv.FormatInt(opt(1), 10): 2}, "note": "zebranie"}
	c.call("POST", "/api/v1/polls/{id}/paper", poll+"/paper", moderator, counts, 201)
	c.call("POST", "/api/v1/polls/{id}/paper", poll+"/paper", moderator, map[string]any{"counts": map[string]int{"999999": 1}}, 422)
	c.call("POST", "/api/v1/polls/{id}/paper", poll+"/paper", plain, counts, 403)
	c.call("POST", "/api/v1/polls/{id}/paper", "/api/v1/polls/999999/paper", moderator, counts, 404)
	c.call("GET", "/api/v1/polls/{id}/receipts", poll+"/receipts", "", nil, 409)
	c.call("POST", "/api/v1/polls/{id}/close", poll+"/close", moderator, nil, 200)
	c.call("POST", "/api/v1/polls/{id}/close", poll+"/close", moderator, nil, 200) // idempotent
	c.call("POST", "/api/v1/polls/{id}/open", poll+"/open", moderator, nil, 409)
	c.call("POST", "/api/v1/polls/{id}/votes", poll+"/votes", plain, map[string]any{"option_ids": []int64{opt(0)}}, 409)
	c.call("GET", "/api/v1/polls/{id}/receipts", poll+"/receipts", "", nil, 200)
	c.call("GET", "/api/v1/polls/{id}/receipts", "/api/v1/polls/999999/receipts", "", nil, 404)
	c.call("GET", "/api/v1/polls/{id}/results", poll+"/results", "", nil, 200)

	// Who may vote, and hidden results.
	strict := map[string]any{"question": "Tylko dla zweryfikowanych?", "kind": "single", "options": []string{"tak", "nie"},
		"eligibility": "verified", "results_visibility": "after_close", "allow_change": false}
	c.call("POST", "/api/v1/polls", "/api/v1/polls", admin, strict, 201).JSON(t, &created)
	poll = "/api/v1/polls/" + strconv.FormatInt(created.Poll.ID, 10)
	c.call("POST", "/api/v1/polls/{id}/open", poll+"/open", admin, nil, 200)
	c.call("POST", "/api/v1/polls/{id}/votes", poll+"/votes", "", map[string]any{"option_ids": []int64{opt(0)}}, 401)
	c.call("POST", "/api/v1/polls/{id}/votes", poll+"/votes", plain, map[string]any{"option_ids": []int64{opt(0)}}, 403)
	c.call("POST", "/api/v1/polls/{id}/votes", poll+"/votes", verified, map[string]any{"option_ids": []int64{opt(0)}}, 201)
	c.call("POST", "/api/v1/polls/{id}/votes", poll+"/votes", verified, map[string]any{"option_ids": []int64{opt(1)}}, 409) // vote_locked
	c.call("GET", "/api/v1/polls/{id}/results", poll+"/results", "", nil, 403)
	c.call("GET", "/api/v1/polls/{id}/results", poll+"/results", moderator, nil, 200)
	c.call("GET", "/api/v1/polls/{id}/receipts", "/api/v1/polls/"+fx.vals["closedPoll"]+"/receipts", "", nil, 200)

	// Signatures.
	var sig struct {
		Signature struct {
			ID int64 `json:"id"`
		} `json:"signature"`
	}
	person := map[string]any{"kind": "person", "full_name": "Rezydentka Testowa", "agree": true, "list_publicly": true}
	c.call("POST", "/api/v1/signatures", "/api/v1/signatures", fresh, person, 403) // email not confirmed
	c.call("POST", "/api/v1/signatures", "/api/v1/signatures", plain, map[string]any{"kind": "guild"}, 422)
	c.call("POST", "/api/v1/signatures", "/api/v1/signatures", plain, person, 201).JSON(t, &sig)
	c.call("POST", "/api/v1/signatures", "/api/v1/signatures", plain, person, 409)
	org := map[string]any{"kind": "organisation", "name": "Rada Osiedla Testowego", "type": "informal_group", "krs": "",
		"website": "example.org", "full_name": "Rezydentka Testowa", "role_title": "przewodnicząca", "authority_confirmed": true}
	c.call("POST", "/api/v1/signatures", "/api/v1/signatures", plain, org, 201)
	c.call("POST", "/api/v1/signatures", "/api/v1/signatures", verified, org, 409) // the name is taken
	c.call("GET", "/api/v1/me/signatures", "/api/v1/me/signatures", plain, nil, 200)
	mine := "/api/v1/signatures/" + strconv.FormatInt(sig.Signature.ID, 10)
	c.call("DELETE", "/api/v1/signatures/{id}", mine, verified, nil, 404) // not theirs
	c.call("DELETE", "/api/v1/signatures/{id}", mine, plain, nil, 204)
	c.call("DELETE", "/api/v1/signatures/{id}", mine, plain, nil, 404)
	c.call("GET", "/api/v1/admin/signatures", "/api/v1/admin/signatures", moderator, nil, 200)
	c.call("GET", "/api/v1/admin/signatures", "/api/v1/admin/signatures", plain, nil, 403)
	decision := "/api/v1/admin/signatures/" + fx.vals["pendingSig"] + "/decision"
	c.call("POST", "/api/v1/admin/signatures/{id}/decision", decision, moderator, map[string]any{"confirm": false}, 422)
	c.call("POST", "/api/v1/admin/signatures/{id}/decision", decision, moderator, map[string]any{"confirm": true}, 200)
	c.call("POST", "/api/v1/admin/signatures/{id}/decision", decision, moderator, map[string]any{"confirm": true}, 409)
	c.call("POST", "/api/v1/admin/signatures/{id}/decision", "/api/v1/admin/signatures/999999/decision", moderator, map[string]any{"confirm": true}, 404)
	c.call("POST", "/api/v1/admin/signatures/{id}/decision", decision, plain, map[string]any{"confirm": true}, 403)
	c.call("GET", "/api/v1/allies", "/api/v1/allies", "", nil, 200)

	// Proposals: written, a draft published, edited, decided, supported, withdrawn.
	district := authzQuery[int64](t, s, `SELECT min(id) FROM neighbourhoods`)
	text := map[string]any{"title": "Ławki przy przystanku", "body": "Prosimy o **dwie ławki** przy przystanku na Rondzie.",
		"neighbourhood_id": district, "topic_ids": []int64{}, "location_label": "Rondo Mogilskie", "latitude": 50.065, "longitude": 19.959}
	var prop struct {
		Proposal struct {
			ID int64 `json:"id"`
		} `json:"proposal"`
	}
	c.call("POST", "/api/v1/proposals", "/api/v1/proposals", plain, text, 201)
	c.call("POST", "/api/v1/proposals", "/api/v1/proposals", plain, map[string]any{"title": "?"}, 422)
	draft := maps.Clone(text)
	draft["draft"] = true
	c.call("POST", "/api/v1/proposals", "/api/v1/proposals", plain, draft, 201).JSON(t, &prop)
	proposal := "/api/v1/proposals/" + strconv.FormatInt(prop.Proposal.ID, 10)
	c.call("GET", "/api/v1/proposals/{id}", proposal, "", nil, 404) // a draft
	c.call("GET", "/api/v1/proposals/{id}", proposal, plain, nil, 200)
	c.call("GET", "/api/v1/proposals/{id}", "/api/v1/proposals/"+fx.vals["proposal"], "", nil, 200)
	c.call("PATCH", "/api/v1/proposals/{id}", proposal, plain, text, 200)
	c.call("GET", "/api/v1/proposals/{id}/revisions", proposal+"/revisions", plain, nil, 200)
	c.call("GET", "/api/v1/proposals/{id}/revisions", proposal+"/revisions", "", nil, 404) // a draft
	c.call("GET", "/api/v1/proposals/{id}/diff", proposal+"/diff", plain, nil, 200)
	c.call("GET", "/api/v1/proposals/{id}/diff", proposal+"/diff?from=2&to=1", plain, nil, 200)
	c.call("GET", "/api/v1/proposals/{id}/diff", proposal+"/diff?from=7", plain, nil, 422)
	c.call("GET", "/api/v1/proposals/{id}/diff", "/api/v1/proposals/999999/diff", "", nil, 404)
	c.call("PATCH", "/api/v1/proposals/{id}", proposal, verified, text, 404) // another's draft
	c.call("PATCH", "/api/v1/proposals/{id}", "/api/v1/proposals/999999", plain, text, 404)
	c.call("POST", "/api/v1/proposals/{id}/status", proposal+"/status", plain, map[string]any{"status": "published"}, 200)
	c.call("PATCH", "/api/v1/proposals/{id}", proposal, verified, text, 403)
	c.call("POST", "/api/v1/proposals/{id}/status", proposal+"/status", moderator, map[string]any{"status": "under_review", "answer": "ok"}, 422)
	c.call("POST", "/api/v1/proposals/{id}/status", proposal+"/status", verified, map[string]any{"status": "under_review"}, 403)
	c.call("POST", "/api/v1/proposals/{id}/status", proposal+"/status", moderator,
		map[string]any{"status": "under_review", "answer": "Przekazujemy do zarządu dzielnicy."}, 200)
	c.call("PATCH", "/api/v1/proposals/{id}", proposal, plain, text, 409)
	c.call("POST", "/api/v1/proposals/{id}/support", proposal+"/support", verified, nil, 200)
	c.call("POST", "/api/v1/proposals/{id}/support", proposal+"/support", verified, nil, 200)
	c.call("POST", "/api/v1/proposals/{id}/support", proposal+"/support", "", nil, 401)
	c.call("DELETE", "/api/v1/proposals/{id}/support", proposal+"/support", verified, nil, 200)
	c.call("DELETE", "/api/v1/proposals/{id}/support", "/api/v1/proposals/999999/support", verified, nil, 404)
	c.call("POST", "/api/v1/proposals/{id}/status", proposal+"/status", plain, map[string]any{"status": "withdrawn"}, 200)
	c.call("POST", "/api/v1/proposals/{id}/support", proposal+"/support", verified, nil, 409)
	c.call("POST", "/api/v1/proposals/{id}/support", "/api/v1/proposals/999999/support", verified, nil, 404)
	c.call("GET", "/api/v1/proposals", "/api/v1/proposals", "", nil, 200)
	c.call("GET", "/api/v1/proposals", "/api/v1/proposals?sort=supports&status=withdrawn&neighbourhood_id="+strconv.FormatInt(district, 10), verified, nil, 200)
	c.call("GET", "/api/v1/proposals", "/api/v1/proposals?sort=oldest", "", nil, 422)
	c.call("GET", "/api/v1/proposals", "/api/v1/proposals?cursor=nonsense!", "", nil, 400)

	// Comments: a thread on a proposal, a reply, an edit and its history, votes, deletion.
	discussion := "/api/v1/proposals/" + fx.vals["proposal"] + "/comments"
	const comments = "/api/v1/proposals/{id}/comments"
	var posted struct {
		Comment struct {
			ID int64 `json:"id"`
		} `json:"comment"`
	}
	c.call("GET", comments, discussion, "", nil, 200) // marta's comment and one received on paper
	c.call("GET", comments, discussion+"?sort=oldest", verified, nil, 200)
	c.call("GET", comments, discussion+"?sort=top", "", nil, 422)
	c.call("GET", comments, discussion+"?cursor=nonsense!", "", nil, 400)
	c.call("GET", comments, "/api/v1/proposals/999999/comments", "", nil, 404)
	c.call("GET", comments, proposal+"/comments", "", nil, 200) // withdrawn: still read
	opinion := map[string]any{"body": "Popieram, ale **stojaki** muszą być zadaszone.", "stance": "for"}
	c.call("POST", comments, discussion, plain, opinion, 201).JSON(t, &posted)
	ownComment := "/api/v1/comments/" + strconv.FormatInt(posted.Comment.ID, 10)
	reply := map[string]any{"body": "Zadaszenie podniesie koszt.", "stance": "against", "parent_id": posted.Comment.ID}
	c.call("POST", comments, discussion, verified, reply, 201).JSON(t, &posted)
	theirReply := "/api/v1/comments/" + strconv.FormatInt(posted.Comment.ID, 10)
	c.call("POST", comments, discussion, plain, map[string]any{"body": " ", "stance": "maybe"}, 422)
	c.call("POST", comments, discussion, plain, map[string]any{"body": "Odpowiedź.", "stance": "neutral", "parent_id": 999999}, 422)
	c.call("POST", comments, discussion, plain, map[string]any{"body": "Odpowiedź.", "stance": "neutral", "tone": "calm"}, 422)
	c.call("POST", comments, discussion, plain, `{"body":`, 400)
	c.call("POST", comments, discussion, "", opinion, 401)
	c.call("POST", comments, proposal+"/comments", plain, opinion, 409) // withdrawn: comments_closed
	c.call("POST", comments, "/api/v1/proposals/999999/comments", plain, opinion, 404)
	c.call("PATCH", "/api/v1/comments/{id}", ownComment, plain, map[string]any{"body": "Popieram; stojaki muszą być zadaszone."}, 200)
	c.call("PATCH", "/api/v1/comments/{id}", ownComment, verified, map[string]any{"body": "Nie moje."}, 403)
	c.call("PATCH", "/api/v1/comments/{id}", ownComment, plain, map[string]any{"body": ""}, 422)
	c.call("PATCH", "/api/v1/comments/{id}", "/api/v1/comments/999999", plain, map[string]any{"body": "Nic."}, 404)
	c.call("GET", "/api/v1/comments/{id}/revisions", ownComment+"/revisions", "", nil, 200)
	c.call("GET", "/api/v1/comments/{id}/revisions", "/api/v1/comments/999999/revisions", "", nil, 404)
	c.call("POST", "/api/v1/comments/{id}/vote", ownComment+"/vote", verified, map[string]any{"value": 1}, 200)
	c.call("POST", "/api/v1/comments/{id}/vote", ownComment+"/vote", moderator, map[string]any{"value": -1}, 200)
	c.call("POST", "/api/v1/comments/{id}/vote", ownComment+"/vote", plain, map[string]any{"value": 1}, 403) // own_comment
	c.call("POST", "/api/v1/comments/{id}/vote", ownComment+"/vote", verified, map[string]any{"value": 2}, 422)
	c.call("POST", "/api/v1/comments/{id}/vote", ownComment+"/vote", verified, map[string]any{}, 422)
	c.call("POST", "/api/v1/comments/{id}/vote", "/api/v1/comments/999999/vote", verified, map[string]any{"value": 1}, 404)
	c.call("GET", "/api/v1/comments/{id}/thread", theirReply+"/thread", "", nil, 200)
	c.call("GET", "/api/v1/comments/{id}/thread", ownComment+"/thread", verified, nil, 200)
	c.call("GET", "/api/v1/comments/{id}/thread", ownComment+"/thread?cursor=nonsense!", "", nil, 400)
	c.call("GET", "/api/v1/comments/{id}/thread", "/api/v1/comments/999999/thread", "", nil, 404)
	c.call("GET", comments, discussion+"?sort=newest", verified, nil, 200) // with the reply nested
	// Authors delete their own comments, the staff anyone's (the matrix probes only the latter).
	c.call("DELETE", "/api/v1/comments/{id}", ownComment, verified, nil, 403)
	c.call("DELETE", "/api/v1/comments/{id}", ownComment, plain, nil, 204)
	c.call("DELETE", "/api/v1/comments/{id}", ownComment, plain, nil, 204) // idempotent
	c.call("DELETE", "/api/v1/comments/{id}", "/api/v1/comments/999999", plain, nil, 404)
	c.call("PATCH", "/api/v1/comments/{id}", ownComment, plain, map[string]any{"body": "Jeszcze raz."}, 409)
	c.call("POST", "/api/v1/comments/{id}/vote", ownComment+"/vote", verified, map[string]any{"value": 0}, 409)
	c.call("DELETE", "/api/v1/comments/{id}", theirReply, moderator, nil, 204)
	c.call("GET", "/api/v1/comments/{id}/revisions", ownComment+"/revisions", "", nil, 200)
	c.call("GET", comments, discussion, "", nil, 200) // the tombstones keep their place

	// Events: created, registered for up to the capacity and a waiting list, edited,
	// cancelled; the calendar with its filters.
	starts := time.Now().Add(72 * time.Hour).Truncate(time.Minute)
	gala := map[string]any{"kind": "gala", "title": "Gala Sojuszników Sąsiedztw", "description": "Spotkanie **sojuszników**.",
		"starts_at": starts.Format(time.RFC3339), "ends_at": starts.Add(3 * time.Hour).Format(time.RFC3339),
		"address": "ul. Dietla 1, Kraków", "neighbourhood_id": district, "accessibility": "Wejście bez schodów.",
		"online_url": "", "organisers": "Fundacja BIS", "capacity": 1, "registration": true, "registration_closes_at": "",
		"status": "published"}
	var ev struct {
		Event struct {
			ID int64 `json:"id"`
		} `json:"event"`
	}
	c.call("POST", "/api/v1/events", "/api/v1/events", moderator, gala, 201).JSON(t, &ev)
	c.call("POST", "/api/v1/events", "/api/v1/events", plain, gala, 403)
	late := maps.Clone(gala)
	late["ends_at"] = starts.Add(-time.Hour).Format(time.RFC3339)
	c.call("POST", "/api/v1/events", "/api/v1/events", moderator, late, 422)
	event := "/api/v1/events/" + strconv.FormatInt(ev.Event.ID, 10)
	c.call("GET", "/api/v1/events/{id}", event, "", nil, 200)
	c.call("GET", "/api/v1/events/{id}", "/api/v1/events/999999", "", nil, 404)
	c.call("POST", "/api/v1/events/{id}/registration", event+"/registration", plain, nil, 201)
	c.call("POST", "/api/v1/events/{id}/registration", event+"/registration", plain, nil, 200)
	c.call("POST", "/api/v1/events/{id}/registration", event+"/registration", verified, nil, 201) // waiting, position 1
	c.call("POST", "/api/v1/events/{id}/registration", event+"/registration", "", nil, 401)
	c.call("POST", "/api/v1/events/{id}/registration", "/api/v1/events/999999/registration", verified, nil, 404)
	c.call("GET", "/api/v1/events/{id}", event, verified, nil, 200) // with my_registration
	c.call("GET", "/api/v1/events/{id}/registrations", event+"/registrations", moderator, nil, 200)
	c.call("GET", "/api/v1/events/{id}/registrations", event+"/registrations", plain, nil, 403)
	c.call("DELETE", "/api/v1/events/{id}/registration", event+"/registration", plain, nil, 200) // verified moves up
	c.call("DELETE", "/api/v1/events/{id}/registration", event+"/registration", plain, nil, 200)
	gala["capacity"] = 2
	c.call("PATCH", "/api/v1/events/{id}", event, moderator, gala, 200)
	c.call("PATCH", "/api/v1/events/{id}", event, moderator, map[string]any{"kind": "gala", "capacity": -1}, 422)
	c.call("PATCH", "/api/v1/events/{id}", "/api/v1/events/999999", moderator, gala, 404)
	c.call("PUT", "/api/v1/events/{id}/minutes", event+"/minutes", moderator, map[string]any{"minutes": "Było dobrze."}, 409)
	c.call("GET", "/api/v1/events", "/api/v1/events", "", nil, 200)
	c.call("GET", "/api/v1/events", "/api/v1/events?when=past&kind=gala&limit=2", verified, nil, 200)
	c.call("GET", "/api/v1/events", "/api/v1/events?month=2026-13", "", nil, 422)
	c.call("GET", "/api/v1/events", "/api/v1/events?cursor=nonsense!", "", nil, 400)
	c.call("POST", "/api/v1/events/{id}/cancel", event+"/cancel", moderator, map[string]any{"reason": ""}, 422)
	c.call("POST", "/api/v1/events/{id}/cancel", event+"/cancel", moderator, map[string]any{"reason": "Sala zalana."}, 200)
	c.call("POST", "/api/v1/events/{id}/cancel", event+"/cancel", moderator, map[string]any{"reason": "Sala zalana."}, 409)
	c.call("PATCH", "/api/v1/events/{id}", event, moderator, gala, 409)
	c.call("POST", "/api/v1/events/{id}/registration", event+"/registration", plain, nil, 409)
	past := "/api/v1/events/" + authzQuery[string](t, s, `INSERT INTO events (kind, title, starts_at, ends_at, address, status)
		VALUES ('kdo_meeting', 'Posiedzenie KDO', now() - interval '3 days', now() - interval '3 days' + interval '2 hours',
		'ul. Józefińska 14', 'published') RETURNING id::text`)
	c.call("PUT", "/api/v1/events/{id}/minutes", past+"/minutes", moderator, map[string]any{"minutes": "Ustalenia: **trzy** sprawy."}, 200)
	c.call("GET", "/api/v1/events", "/api/v1/events?when=past", "", nil, 200)

	// Debates: created with speakers and agenda, then run from the console.
	debateIn := map[string]any{"title": "Debata o zieleni", "starts_at": "2031-05-20T18:00:00+02:00", "ends_at": "2031-05-20T20:00:00+02:00",
		"address": "ul. Józefińska 14", "stream_url": "https://stream.example.org/zielen", "status": "published",
		"district_ids": []int64{fx.ids["district"]}, "speakers": []map[string]any{{"name": "Anna Nowak", "role": "radna (demo)"}},
		"agenda": []map[string]any{{"topic": "Drzewa", "planned_minutes": 20}, {"topic": "Pytania", "planned_minutes": 10}}}
	var deb struct {
		Debate struct {
			ID    int64 `json:"id"`
			State struct {
				Items []struct {
					ID int64 `json:"id"`
				} `json:"items"`
				Speakers []struct {
					ID int64 `json:"id"`
				} `json:"speakers"`
			} `json:"state"`
		} `json:"debate"`
	}
	c.call("POST", "/api/v1/debates", "/api/v1/debates", moderator, debateIn, 201).JSON(t, &deb)
	c.call("POST", "/api/v1/debates", "/api/v1/debates", plain, debateIn, 403)
	c.call("POST", "/api/v1/debates", "/api/v1/debates", moderator, map[string]any{"title": "x", "agenda": []map[string]any{{"topic": "T", "planned_minutes": 0}}}, 422)
	debatePath := "/api/v1/debates/" + strconv.FormatInt(deb.Debate.ID, 10)
	c.call("GET", "/api/v1/debates/{id}", debatePath, "", nil, 200)
	c.call("GET", "/api/v1/debates/{id}", "/api/v1/debates/999999", "", nil, 404)
	c.call("GET", "/api/v1/debates", "/api/v1/debates", "", nil, 200)
	c.call("GET", "/api/v1/debates", "/api/v1/debates?when=past&limit=1", "", nil, 200)
	c.call("GET", "/api/v1/debates", "/api/v1/debates?when=someday", "", nil, 422)
	actions := debatePath + "/actions"
	c.call("POST", "/api/v1/debates/{id}/actions", actions, moderator, map[string]any{"action": "start", "expected_seq": 0}, 200)
	c.call("POST", "/api/v1/debates/{id}/actions", actions, moderator, map[string]any{"action": "speaker", "expected_seq": 1,
		"speaker_id": deb.Debate.State.Speakers[0].ID}, 200)
	c.call("POST", "/api/v1/debates/{id}/actions", actions, moderator, map[string]any{"action": "timer_start", "expected_seq": 2}, 200)
	c.call("POST", "/api/v1/debates/{id}/actions", actions, moderator, map[string]any{"action": "next", "expected_seq": 2}, 409)
	c.call("POST", "/api/v1/debates/{id}/actions", actions, moderator, map[string]any{"action": "item", "expected_seq": 3, "item_id": 999999}, 422)
	c.call("POST", "/api/v1/debates/{id}/actions", actions, plain, map[string]any{"action": "end", "expected_seq": 3}, 403)
	c.call("POST", "/api/v1/debates/{id}/actions", actions, "", map[string]any{"action": "end", "expected_seq": 3}, 401)
	c.call("POST", "/api/v1/debates/{id}/actions", "/api/v1/debates/999999/actions", admin, map[string]any{"action": "end", "expected_seq": 0}, 404)
	c.call("POST", "/api/v1/debates/{id}/actions", actions, admin, map[string]any{"action": "end", "expected_seq": 3}, 200)
	// Consultations: {consultation} is open with one required free-text question; a new
	// one has a question of each kind.
	cons := "/api/v1/consultations/" + fx.vals["consultation"]
	const consOp = "/api/v1/consultations/{id}"
	c.call("GET", "/api/v1/consultations", "/api/v1/consultations", "", nil, 200)
	c.call("GET", "/api/v1/consultations", "/api/v1/consultations?neighbourhood_id=x", "", nil, 422)
	c.call("GET", consOp, cons, "", nil, 200)
	c.call("GET", consOp, "/api/v1/consultations/"+fx.vals["draftConsultation"], "", nil, 404)
	c.call("GET", consOp, "/api/v1/consultations/"+fx.vals["draftConsultation"], moderator, nil, 200)
	now := time.Now()
	rooms := map[string]any{"title": "Zasady wynajmu sal", "organiser_kind": "city", "organiser": "Wydział Kultury",
		"eligibility": "registered", "status": "published", "opens_at": now.Add(-time.Hour).Format(time.RFC3339),
		"closes_at": now.Add(240 * time.Hour).Format(time.RFC3339), "report_at": now.Add(480 * time.Hour).Format(time.RFC3339),
		"district_ids": []int64{}, "questions": []map[string]any{
			{"kind": "single", "prompt": "Czy popierasz projekt?", "required": true, "options": []string{"Tak", "Nie"}},
			{"kind": "multiple", "prompt": "Które sale?", "options": []string{"Duża", "Mała", "Pracownia"}},
			{"kind": "scale", "prompt": "Jak oceniasz stawki?"},
			{"kind": "ranking", "prompt": "Co najważniejsze?", "options": []string{"Cena", "Godziny", "Dostępność"}},
			{"kind": "text", "prompt": "Co jeszcze?", "max_length": 300}}}
	var made struct {
		Consultation struct {
			ID        int64 `json:"id"`
			Questions []struct {
				ID int64 `json:"id"`
			} `json:"questions"`
		} `json:"consultation"`
	}
	c.call("POST", "/api/v1/consultations", "/api/v1/consultations", moderator, rooms, 201).JSON(t, &made)
	c.call("POST", "/api/v1/consultations", "/api/v1/consultations", moderator, map[string]any{"title": "?"}, 422)
	c.call("POST", "/api/v1/consultations", "/api/v1/consultations", plain, rooms, 403)
	if len(made.Consultation.Questions) != 5 {
		t.Fatalf("the new consultation has %d questions", len(made.Consultation.Questions))
	}
	roomsPath := "/api/v1/consultations/" + strconv.FormatInt(made.Consultation.ID, 10)
	rooms["description"] = "Projekt **zasad**."
	c.call("PATCH", consOp, roomsPath, moderator, rooms, 200)
	c.call("PATCH", consOp, "/api/v1/consultations/999999", moderator, rooms, 404)
	c.call("PATCH", consOp, roomsPath, plain, rooms, 403)
	q := func(i int) string { return strconv.FormatInt(made.Consultation.Questions[i].ID, 10) }
	full := map[string]any{q(0): map[string]any{"choices": []int{1}}, q(1): map[string]any{"choices": []int{1, 3}},
		q(2): map[string]any{"scale": 4}, q(3): map[string]any{"choices": []int{2, 3, 1}}, q(4): map[string]any{"text": "Tańsze sale."}}
	const respOp = "/api/v1/consultations/{id}/response"
	c.call("GET", respOp, roomsPath+"/response", verified, nil, 404)
	c.call("GET", respOp, roomsPath+"/response", "", nil, 401)
	c.call("POST", respOp, roomsPath+"/response", verified, map[string]any{"answers": map[string]any{q(4): map[string]any{"text": "Szkic"}}}, 201)
	c.call("GET", respOp, roomsPath+"/response", verified, nil, 200) // a draft
	c.call("POST", respOp, roomsPath+"/response", verified, map[string]any{"answers": map[string]any{q(3): map[string]any{"choices": []int{1, 1, 2}}}, "submit": true}, 422)
	c.call("POST", respOp, roomsPath+"/response", verified, map[string]any{"answers": full, "submit": true}, 200) // over the draft
	c.call("POST", respOp, roomsPath+"/response", verified, map[string]any{"answers": full, "submit": true}, 409)
	c.call("PATCH", respOp, roomsPath+"/response", verified, map[string]any{"answers": full, "submit": true}, 200)
	c.call("PATCH", respOp, roomsPath+"/response", member, map[string]any{"answers": full, "submit": true}, 404)
	c.call("POST", respOp, "/api/v1/consultations/999999/response", verified, map[string]any{"answers": full}, 404)
	c.call("GET", respOp, roomsPath+"/response", verified, nil, 200) // submitted, with a receipt
	const paperOp = "/api/v1/consultations/{id}/paper"
	c.call("POST", paperOp, roomsPath+"/paper", moderator, map[string]any{"answers": full, "note": "urna w domu kultury"}, 201)
	c.call("POST", paperOp, roomsPath+"/paper", moderator, map[string]any{"answers": map[string]any{}}, 422)
	c.call("POST", paperOp, roomsPath+"/paper", plain, map[string]any{"answers": full}, 403)
	const resultsOp = "/api/v1/consultations/{id}/results"
	c.call("GET", resultsOp, roomsPath+"/results", "", nil, 409) // public from the report phase
	c.call("GET", resultsOp, roomsPath+"/results", moderator, nil, 200)
	c.call("GET", resultsOp, cons+"/results", moderator, nil, 200)
	c.call("GET", resultsOp, "/api/v1/consultations/999999/results", "", nil, 404)
	const consComments = "/api/v1/consultations/{id}/comments"
	c.call("GET", consComments, cons+"/comments", "", nil, 200)
	c.call("POST", consComments, cons+"/comments", plain, map[string]any{"body": "Czy zasady obejmą też kluby seniora?", "stance": "neutral"}, 201)
	c.call("POST", consComments, cons+"/comments", plain, map[string]any{"body": ""}, 422)
	c.call("POST", consComments, cons+"/comments", "", map[string]any{"body": "Anonimowo?"}, 401)

	// Promises ({promise}: a seeded one; {debate}: moderated by moderator@example.org).
	advocateToken := login("advocate@example.org")
	const logOp, promOp, updOp = "/api/v1/debates/{id}/promises", "/api/v1/promises/{id}", "/api/v1/promises/{id}/updates"
	logPath, prom := "/api/v1/debates/"+fx.vals["debate"]+"/promises", "/api/v1/promises/"+fx.vals["promise"]
	c.call("POST", logOp, logPath, advocateToken, map[string]any{"text": "Nowe ławki przy każdej szkole.", "speaker_id": nil}, 201)
	c.call("POST", logOp, logPath, moderator, map[string]any{"text": "Tak", "topic": "szkoły"}, 422)
	c.call("POST", logOp, logPath, plain, map[string]any{"text": "Obiecuję wszystko."}, 403)
	c.call("POST", logOp, "/api/v1/debates/999999/promises", advocateToken, map[string]any{"text": "Obiecuję wszystko."}, 404)
	c.call("GET", "/api/v1/promises", "/api/v1/promises", "", nil, 200)
	c.call("GET", "/api/v1/promises", "/api/v1/promises?status=forgotten", "", nil, 422)
	c.call("GET", "/api/v1/promises", "/api/v1/promises?cursor=!!", "", nil, 400)
	c.call("GET", promOp, prom, "", nil, 200)
	c.call("GET", promOp, "/api/v1/promises/"+fx.vals["draftPromise"], "", nil, 404)
	promiseVersion := authzQuery[int64](t, s, `SELECT version FROM promises WHERE id = $1`, fx.ids["promise"])
	c.call("POST", updOp, prom+"/updates", advocateToken, map[string]any{"version": promiseVersion, "status": "in_progress",
		"note": "Urząd ogłosił konsultacje.", "links": []string{"https://www.krakow.pl/"}, "date": "2025-01-15"}, 201)
	c.call("POST", updOp, prom+"/updates", moderator, map[string]any{"version": promiseVersion, "status": "kept"}, 409)
	c.call("POST", updOp, prom+"/updates", moderator, map[string]any{"version": promiseVersion + 1, "status": "forgotten"}, 422)
	c.call("POST", updOp, prom+"/updates", plain, map[string]any{"version": promiseVersion + 1, "status": "kept"}, 403)
	c.call("PUT", "/api/v1/promises/{id}/follow", prom+"/follow", plain, nil, 200)
	c.call("DELETE", "/api/v1/promises/{id}/follow", prom+"/follow", plain, nil, 200)
	c.call("GET", "/api/v1/promises/{id}/comments", prom+"/comments", "", nil, 200)
	c.call("POST", "/api/v1/promises/{id}/comments", prom+"/comments", plain, map[string]any{"body": "Kiedy to się stanie?", "stance": "neutral"}, 201)
	// Coalition responses: {response} is the seeded one in review, {submittedResponse} a
	// submitted one.
	resp := "/api/v1/responses/" + fx.vals["response"]
	advocate := login("advocate@example.org")
	const respDoc, respSec = "/api/v1/responses/{id}", "/api/v1/responses/{id}/sections/{section}"
	c.call("GET", respDoc, resp, advocate, nil, 200)
	c.call("GET", respDoc, resp, plain, nil, 404)
	c.call("GET", respDoc, "/api/v1/responses/"+fx.vals["submittedResponse"], "", nil, 200)
	c.call("GET", "/api/v1/responses/{id}/revisions", resp+"/revisions", advocate, nil, 200)
	c.call("GET", "/api/v1/responses/{id}/revisions", resp+"/revisions?section_id="+fx.vals["responseSection"], "", nil, 404)
	c.call("GET", "/api/v1/responses/{id}/revisions", resp+"/revisions?section_id=x", advocate, nil, 422)
	sec := resp + "/sections/" + fx.vals["responseSection"]
	version := authzQuery[int](t, s, `SELECT version FROM response_sections WHERE id = $1`, fx.ids["responseSection"])
	respText := map[string]any{"title": "Wprowadzenie", "body": "Koalicja popiera wspólne zasady.", "base_version": version}
	c.call("PUT", respSec, sec, advocate, respText, 200)
	c.call("PUT", respSec, sec, admin, map[string]any{"title": "Wprowadzenie", "body": "Inny tekst.", "base_version": version}, 409)
	c.call("PUT", respSec, sec, advocate, map[string]any{"title": "Wprowadzenie", "body": " ", "base_version": version + 1}, 422)
	c.call("PUT", respSec, sec, plain, respText, 404)
	c.call("PUT", respSec, sec, "", respText, 401)
	const respComments = "/api/v1/responses/{id}/comments"
	c.call("POST", respComments, resp+"/comments", advocate, map[string]any{"section_id": fx.ids["responseSection"], "quote": "wspólne zasady",
		"body": "Dopiszmy, które domy kultury."}, 201)
	c.call("POST", respComments, resp+"/comments", advocate, map[string]any{"section_id": fx.ids["responseSection"], "quote": "tego nie ma",
		"body": "?"}, 422)
	c.call("POST", respComments, resp+"/comments", plain, map[string]any{"section_id": fx.ids["responseSection"], "quote": "x", "body": "?"}, 404)
	c.call("POST", "/api/v1/responses/{id}/presence", resp+"/presence", advocate, map[string]any{"section_id": fx.ids["responseSection"]}, 200)
	c.call("POST", "/api/v1/responses/{id}/presence", resp+"/presence", plain, map[string]any{}, 404)

	// The end of a session and of an account.
	c.call("DELETE", "/api/v1/me", "/api/v1/me", fresh, map[string]any{"password": "wrong-password", "confirm": true}, 422)
	c.call("DELETE", "/api/v1/me", "/api/v1/me", fresh, map[string]any{"password": newPassword}, 422)
	other := login("marta.sasiadka@example.org")
	c.call("POST", "/api/v1/auth/logout", "/api/v1/auth/logout", other, nil, 204)
	c.call("POST", "/api/v1/auth/logout", "/api/v1/auth/logout", other, nil, 401)
	c.call("GET", "/api/v1/me", "/api/v1/me", other, nil, 401)
	c.call("DELETE", "/api/v1/me", "/api/v1/me", fresh, map[string]any{"password": newPassword, "confirm": true}, 204)
	c.call("GET", "/api/v1/me", "/api/v1/me", fresh, nil, 401)

	// Say which operations this test did not call (new routes: add a call above).
	var missed []string
	for _, o := range doc.operations() {
		if !c.covered[o.String()] {
			missed = append(missed, o.String())
		}
	}
	if len(missed) > 0 {
		t.Logf("operations this test does not call yet (their answers are not checked against the document): %s", strings.Join(missed, ", "))
	}
}
