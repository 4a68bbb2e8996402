// Package metrics exposes Prometheus metrics: request durations by route, the
// PostgreSQL pool, the Redis pool and open websockets.
package metrics

import (
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"
)

// Registry is the process's metrics; features register their own collectors on it.
type Registry struct {
	*prometheus.Registry
	requests   *prometheus.HistogramVec
	Websockets prometheus.Gauge
	SlowDrops  prometheus.Counter
	CSPReports prometheus.Counter
}

// New registers the platform's metrics over pool and rdb.
func New(pool *pgxpool.Pool, rdb *redis.Client) *Registry {
	reg := prometheus.NewRegistry()
	r := &Registry{
		Registry: reg,
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "lawka_http_request_duration_seconds",
			Help:    "HTTP request durations by route pattern, method and status class.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method", "status"}),
		Websockets: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "lawka_websocket_connections",
			Help: "Open websocket connections on this instance.",
		}),
		SlowDrops: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "lawka_websocket_slow_drops_total",
			Help: "Websockets closed (4008) because the client could not keep up.",
		}),
		CSPReports: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "lawka_csp_reports_total",
			Help: "Content-Security-Policy violation reports received from browsers (POST /csp-report).",
		}),
	}
	reg.MustRegister(r.requests, r.Websockets, r.SlowDrops, r.CSPReports,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if pool != nil {
		reg.MustRegister(&poolCollector{pool: pool})
	}
	if rdb != nil {
		reg.MustRegister(&redisCollector{rdb: rdb})
	}
	return r
}

// Middleware times every request under its route pattern (not the raw path, which would
// make one series per proposal id).
func (r *Registry) Middleware() fiber.Handler {
	return func(c *fiber.Ctx) error {
		start := time.Now()
		err := c.Next()
		route := c.Route().Path
		if c.Response().StatusCode() == fiber.StatusNotFound && route == "/" && c.Path() != "/" {
			route = "unmatched"
		}
		status := strconv.Itoa(c.Response().StatusCode()/100) + "xx"
		// A copy: c.Method() points into fasthttp's buffer, which the connection's next
		// request overwrites, and the series keeps its label values for good (a POST after
		// a GET turned "GET" into "POS", duplicate series made /metrics answer 500).
		r.requests.WithLabelValues(route, strings.Clone(c.Method()), status).Observe(time.Since(start).Seconds())
		return err
	}
}

// Handler serves /metrics.
func (r *Registry) Handler() fiber.Handler {
	return adaptor.HTTPHandler(promhttp.HandlerFor(r.Registry, promhttp.HandlerOpts{}))
}

var (
	poolTotal    = prometheus.NewDesc("lawka_db_pool_connections", "PostgreSQL pool connections by state.", []string{"state"}, nil)
	poolMax      = prometheus.NewDesc("lawka_db_pool_max_connections", "PostgreSQL pool size limit.", nil, nil)
	poolAcquires = prometheus.NewDesc("lawka_db_pool_acquires_total", "Connections acquired from the pool.", nil, nil)
	poolWait     = prometheus.NewDesc("lawka_db_pool_acquire_wait_seconds_total", "Time spent waiting for a pool connection.", nil, nil)
	redisConns   = prometheus.NewDesc("lawka_redis_pool_connections", "Redis pool connections by state.", []string{"state"}, nil)
	redisEvents  = prometheus.NewDesc("lawka_redis_pool_events_total", "Redis pool hits, misses and timeouts.", []string{"event"}, nil)
)

type poolCollector struct{ pool *pgxpool.Pool }

func (p *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- poolTotal
	ch <- poolMax
	ch <- poolAcquires
	ch <- poolWait
}

func (p *poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := p.pool.Stat()
	ch <- prometheus.MustNewConstMetric(poolTotal, prometheus.GaugeValue, float64(s.IdleConns()), "idle")
	ch <- prometheus.MustNewConstMetric(poolTotal, prometheus.GaugeValue, float64(s.AcquiredConns()), "acquired")
	ch <- prometheus.MustNewConstMetric(poolTotal, prometheus.GaugeValue, float64(s.ConstructingConns()), "constructing")
	ch <- prometheus.MustNewConstMetric(poolMax, prometheus.GaugeValue, float64(s.MaxConns()))
	ch <- prometheus.MustNewConstMetric(poolAcquires, prometheus.CounterValue, float64(s.AcquireCount()))
	ch <- prometheus.MustNewConstMetric(poolWait, prometheus.CounterValue, s.AcquireDuration().Seconds())
}

type redisCollector struct{ rdb *redis.Client }

func (r *redisCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- redisConns
	ch <- redisEvents
}

func (r *redisCollector) Collect(ch chan<- prometheus.Metric) {
	s := r.rdb.PoolStats()
	ch <- prometheus.MustNewConstMetric(redisConns, prometheus.GaugeValue, float64(s.IdleConns), "idle")
	ch <- prometheus.MustNewConstMetric(redisConns, prometheus.GaugeValue, float64(s.TotalConns-s.IdleConns), "in_use")
	ch <- prometheus.MustNewConstMetric(redisEvents, prometheus.CounterValue, float64(s.Hits), "hit")
	ch <- prometheus.MustNewConstMetric(redisEvents, prometheus.CounterValue, float64(s.Misses), "miss")
	ch <- prometheus.MustNewConstMetric(redisEvents, prometheus.CounterValue, float64(s.Timeouts), "timeout")
}
