package httpx

import (
	"context"
	"errors"
	"io"
	"net"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"log/slog"
	"math"
	"net/http"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"lawka/internal/platform/problem"
	"lawka/internal/platform/render"
)

// ErrorBody is the JSON error format of the API: {"error":{"code","message","fields"}}.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the inside of ErrorBody.
type ErrorDetail struct {
	Code      string            `json:"code"`
	Message   string            `json:"message"`
	Fields    map[string]string `json:"fields,omitempty"`
	RequestID string            `json:"request_id,omitempty"`
}

// ErrorPage is what the HTML error page shows.
type ErrorPage struct {
	Status  int
	Message string
}

// ErrorHandler maps every error a handler returns, once: typed problems keep their
// status and code, Fiber's own errors (404, 405, 413, …) get a code, and anything else
// is a 500 that is logged with its request id and shown without details.
func ErrorHandler(r *render.Renderer, log *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		p := toProblem(err)
		if p.Status >= 500 && p.Status != http.StatusServiceUnavailable {
			log.Error("request failed", "request_id", RequestID(c), "method", c.Method(),
				"path", c.Path(), "error", err.Error())
		}
		if p.RetryAfter > 0 {
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(math.Ceil(p.RetryAfter.Seconds()))))
		}
		l := L(c)
		msg := p.Code
		if l != nil {
			msg = l.T(p.Key, p.Args...)
		}
		if WantsJSON(c) || r == nil {
			body := ErrorBody{Error: ErrorDetail{Code: p.Code, Message: msg}}
			if len(p.Fields) > 0 {
				body.Error.Fields = make(map[string]string, len(p.Fields))
				for f, key := range p.Fields {
					if l != nil {
						body.Error.Fields[f] = l.T(key)
					} else {
						body.Error.Fields[f] = key
					}
				}
			}
			if p.Status >= 500 {
				body.Error.RequestID = RequestID(c)
			}
			return c.Status(p.Status).JSON(body)
		}
		title := msg
		if l != nil {
			title = l.T("error.page_title", "Status", p.Status)
		}
		rerr := r.HTML(c, p.Status, "errors/error", render.View{
			Title: title,
			Data:  ErrorPage{Status: p.Status, Message: msg},
		})
		if rerr != nil {
			log.Error("error page failed", "request_id", RequestID(c), "error", rerr.Error())
			c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
			return c.Status(p.Status).SendString(strconv.Itoa(p.Status) + " — request " + RequestID(c))
		}
		return nil
	}
}

// connectionLost tells the other ways a pooled PostgreSQL connection dies under a
// request: the server shut down or restarted (it sends FATAL 57P01 "terminating
// connection due to administrator command" to every session), the connection ended
// without a word (pgx returns io.ErrUnexpectedEOF; request bodies never reach the
// error handler with it, DecodeJSON turns them into problems), or the request went on
// using a connection that an earlier failure had closed (pgconn.ErrConnClosed).
func connectionLost(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "57P01", "57P02", "57P03", // admin shutdown, crash shutdown, cannot connect now
			"08000", "08003", "08006": // connection exception, does not exist, failure
			return true
		}
		return false
	}
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, pgconn.ErrConnClosed)
}

func toProblem(err error) *problem.Error {
	if p, ok := problem.As(err); ok {
		return p
	}
	// PostgreSQL or Redis out of reach, or the request's deadline passed waiting for
	// them: nothing was saved, try again (503 with Retry-After), not a 500.
	var connErr *pgconn.ConnectError
	var netErr *net.OpError
	if errors.As(err, &connErr) || errors.As(err, &netErr) || errors.Is(err, context.DeadlineExceeded) ||
		connectionLost(err) {
		return problem.Unavailable(2*time.Second, err)
	}
	var fe *fiber.Error
	if errors.As(err, &fe) {
		switch fe.Code {
		case fiber.StatusNotFound:
			return problem.NotFound()
		case fiber.StatusMethodNotAllowed:
			return &problem.Error{Status: fe.Code, Code: "method_not_allowed", Key: "error.method_not_allowed"}
		case fiber.StatusRequestEntityTooLarge:
			return &problem.Error{Status: fe.Code, Code: "payload_too_large", Key: "error.payload_too_large"}
		case fiber.StatusUnsupportedMediaType:
			return &problem.Error{Status: fe.Code, Code: "unsupported_media_type", Key: "error.unsupported_media_type"}
		case fiber.StatusTooManyRequests:
			return problem.TooMany(0)
		case fiber.StatusForbidden:
			return problem.Forbidden()
		case fiber.StatusUnauthorized:
			return problem.Unauthorized()
		case fiber.StatusServiceUnavailable:
			return problem.Unavailable(0, err)
		}
		if fe.Code >= 400 && fe.Code < 500 {
			return &problem.Error{Status: fe.Code, Code: "bad_request", Key: "error.bad_request"}
		}
	}
	return &problem.Error{Status: http.StatusInternalServerError, Code: "internal", Key: "error.internal", Cause: err}
}
