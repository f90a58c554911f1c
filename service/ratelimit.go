package service

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// limiter counts the requests of each key in fixed windows of a minute and
// of a day (UTC), in this process.
type limiter struct {
	perMinute, perDay int
	mu                sync.Mutex
	keys              map[string]*window
}

type window struct {
	minute, day           int64 // window start, unix seconds
	minuteCount, dayCount int
}

func newLimiter(perMinute, perDay int) *limiter {
	return &limiter{perMinute: perMinute, perDay: perDay, keys: map[string]*window{}}
}

// allow counts a request of key at now, sets the X-RateLimit headers and
// returns a 429 error when a limit is reached. X-RateLimit-Limit is the
// per-minute limit, Remaining the requests left before either limit, and
// Reset the Unix time at which the binding window restarts.
func (l *limiter) allow(w http.ResponseWriter, key string, now time.Time) error {
	if l.perMinute < 0 && l.perDay < 0 {
		return nil
	}
	minute := now.Unix() / 60 * 60
	day := now.Unix() / 86400 * 86400
	l.mu.Lock()
	win := l.keys[key]
	if win == nil {
		if len(l.keys) > 100000 { // forget idle keys rather than grow without bound
			for k, v := range l.keys {
				if v.day != day {
					delete(l.keys, k)
				}
			}
		}
		win = &window{}
		l.keys[key] = win
	}
	if win.minute != minute {
		win.minute, win.minuteCount = minute, 0
	}
	if win.day != day {
		win.day, win.dayCount = day, 0
	}
	minuteLeft, dayLeft := 1<<31-1, 1<<31-1
	if l.perMinute >= 0 {
		minuteLeft = l.perMinute - win.minuteCount
	}
	if l.perDay >= 0 {
		dayLeft = l.perDay - win.dayCount
	}
	allowed := minuteLeft > 0 && dayLeft > 0
	if allowed {
		win.minuteCount++
		win.dayCount++
		minuteLeft--
		dayLeft--
	}
	l.mu.Unlock()

	limit, remaining, reset := l.perMinute, minuteLeft, minute+60
	if l.perMinute < 0 || dayLeft < minuteLeft {
		limit, remaining, reset = l.perDay, dayLeft, day+86400
	}
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(max(remaining, 0)))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(reset, 10))
	if !allowed {
		h.Set("Retry-After", strconv.FormatInt(max(reset-now.Unix(), 1), 10))
		which := "per-minute"
		if dayLeft <= 0 {
			which = "per-day"
		}
		return &httpError{Status: http.StatusTooManyRequests, Message: "rate limit reached: " + strconv.Itoa(limit) + " requests " + which[4:] + " for this key; retry after the time in X-RateLimit-Reset",
			Details: map[string]any{"limit": limit, "window": which[4:], "reset": reset}}
	}
	return nil
}
