package service

// The WebSocket API as Studio serves it: socket.io on Engine.IO, protocol
// 3 (socket.io v2 clients, and Edge Impulse's own client, which speaks it
// over a bare WebSocket) and protocol 4 (socket.io v3/v4 clients), on the
// websocket and long-polling transports with the upgrade from one to the
// other. Only text packets are used.
//
// Engine.IO packets: 0 open, 1 close, 2 ping, 3 pong, 4 message, 5
// upgrade, 6 noop. A message carries a socket.io packet: 0 connect, 1
// disconnect, 2 event ("2[name,data]", "2<ackid>[...]"), 3 ack.

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/coder/websocket"
	"github.com/tinyimpulse/tinyimpulse/service/engine"
)

const (
	sioPingInterval = 25 * time.Second
	sioPingTimeout  = 20 * time.Second
	sioMaxPacket    = 1 << 20
	sioPollWait     = 25 * time.Second
)

type sioSession struct {
	srv      *Server
	sid      string
	eio      int
	pid      int
	onDemand bool

	mu        sync.Mutex
	queue     []string
	notify    chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	ws        bool // packets go out on the WebSocket
	upgrading bool
	connected bool
	lastRecv  time.Time
	follows   map[int]func()
	live      func()
}

// sessions of the long-polling transport, by sid.
var sioSessions = struct {
	sync.Mutex
	m map[string]*sioSession
}{m: map[string]*sioSession{}}

func newSID() string {
	b := make([]byte, 15)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (ss *sioSession) send(pkt string) {
	ss.mu.Lock()
	ss.queue = append(ss.queue, pkt)
	ss.mu.Unlock()
	select {
	case ss.notify <- struct{}{}:
	default:
	}
}

func (ss *sioSession) emit(event string, data any) {
	b, err := json.Marshal([]any{event, data})
	if err != nil {
		return
	}
	ss.send("42" + string(b))
}

func (ss *sioSession) take() []string {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	q := ss.queue
	ss.queue = nil
	return q
}

func (ss *sioSession) close() {
	ss.closeOnce.Do(func() {
		close(ss.done)
		ss.mu.Lock()
		follows, live := ss.follows, ss.live
		ss.follows, ss.live = nil, nil
		ss.mu.Unlock()
		for _, stop := range follows {
			stop()
		}
		if live != nil {
			live()
		}
		sioSessions.Lock()
		delete(sioSessions.m, ss.sid)
		sioSessions.Unlock()
	})
}

func (ss *sioSession) closed() bool {
	select {
	case <-ss.done:
		return true
	default:
		return false
	}
}

// openPacket is the Engine.IO handshake.
func (ss *sioSession) openPacket(upgrades []string) string {
	b, _ := json.Marshal(map[string]any{
		"sid": ss.sid, "upgrades": upgrades,
		"pingInterval": sioPingInterval.Milliseconds(), "pingTimeout": sioPingTimeout.Milliseconds(),
		"maxPayload": sioMaxPacket,
	})
	return "0" + string(b)
}

// connect completes the socket.io connection to the main namespace and
// greets the client as Studio does.
func (ss *sioSession) connect() {
	ss.mu.Lock()
	already := ss.connected
	ss.connected = true
	ss.mu.Unlock()
	if already {
		return
	}
	if ss.eio == 3 {
		ss.send("40")
	} else {
		b, _ := json.Marshal(map[string]string{"sid": ss.sid})
		ss.send("40" + string(b))
	}
	ss.emit("hello", map[string]any{"hello": map[string]any{"version": 1}})
	if !ss.onDemand {
		// Without onDemandLogs the client gets every job event of its project
		// from now on.
		stop, err := ss.srv.eng.Logs().Follow(ss.srv.ctx, strconv.Itoa(ss.pid)+".*", time.Now(), ss.forward)
		if err == nil {
			ss.mu.Lock()
			ss.live = stop
			ss.mu.Unlock()
		}
	}
}

// forward sends a log entry as Studio's job events.
func (ss *sioSession) forward(log string, e engine.LogEntry) {
	jid := log[strings.IndexByte(log, '.')+1:]
	if e.Data != "" {
		ss.emit("job-data-"+jid, map[string]any{"data": e.Data})
	}
	if e.Finished {
		ss.emit("job-finished-"+jid, map[string]any{"success": e.Success})
	}
}

// handle processes one Engine.IO packet from the client.
func (ss *sioSession) handle(pkt string) {
	ss.mu.Lock()
	ss.lastRecv = time.Now()
	ss.mu.Unlock()
	if pkt == "" {
		return
	}
	switch pkt[0] {
	case '1':
		ss.close()
	case '2':
		ss.send("3" + pkt[1:])
	case '4':
		ss.handleSocketIO(pkt[1:])
	}
}

func (ss *sioSession) handleSocketIO(p string) {
	if p == "" {
		return
	}
	typ, rest := p[0], p[1:]
	nsp := "/"
	if strings.HasPrefix(rest, "/") {
		i := strings.IndexByte(rest, ',')
		if i < 0 {
			nsp, rest = rest, ""
		} else {
			nsp, rest = rest[:i], rest[i+1:]
		}
	}
	switch typ {
	case '0':
		if nsp != "/" {
			if ss.eio == 3 {
				ss.send("44" + nsp + `,"Invalid namespace"`)
			} else {
				ss.send("44" + nsp + `,{"message":"Invalid namespace"}`)
			}
			return
		}
		ss.connect()
	case '1':
		ss.close()
	case '2':
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		ack := rest[:i]
		var args []json.RawMessage
		if err := json.Unmarshal([]byte(rest[i:]), &args); err != nil || len(args) == 0 {
			return
		}
		var name string
		if json.Unmarshal(args[0], &name) != nil {
			return
		}
		reply := ss.onEvent(name, args[1:])
		if ack != "" {
			b, _ := json.Marshal([]any{reply})
			ss.send("43" + ack + string(b))
		}
	}
}

// jobIDArg reads a job id given as a number, a string or {jobId}.
func jobIDArg(args []json.RawMessage) (int, bool) {
	if len(args) == 0 {
		return 0, false
	}
	var n int
	if json.Unmarshal(args[0], &n) == nil && n > 0 {
		return n, true
	}
	var s string
	if json.Unmarshal(args[0], &s) == nil {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			return n, true
		}
	}
	var o struct {
		JobID json.RawMessage `json:"jobId"`
	}
	if json.Unmarshal(args[0], &o) == nil && o.JobID != nil {
		return jobIDArg([]json.RawMessage{o.JobID})
	}
	return 0, false
}

// onEvent handles a client event and returns the acknowledgement's value.
func (ss *sioSession) onEvent(name string, args []json.RawMessage) any {
	ctx := ss.srv.ctx
	switch name {
	case "start-log-stream":
		jid, ok := jobIDArg(args)
		if !ok {
			return map[string]any{"success": false, "error": "start-log-stream: expected {jobId, lastReceivedTimestamp}"}
		}
		var o struct {
			Since float64 `json:"lastReceivedTimestamp"`
		}
		json.Unmarshal(args[0], &o)
		if _, err := ss.srv.st.job(ctx, ss.pid, jid); err != nil {
			return map[string]any{"success": false, "error": clientMessage(err)}
		}
		var since time.Time
		if o.Since > 0 {
			since = time.UnixMilli(int64(o.Since)).Add(time.Millisecond)
		}
		ss.mu.Lock()
		if old := ss.follows[jid]; old != nil {
			old()
		}
		ss.mu.Unlock()
		var once sync.Once
		var stop func()
		stopped := make(chan struct{})
		stop, err := ss.srv.eng.Logs().Follow(ctx, logName(ss.pid, jid), since, func(log string, e engine.LogEntry) {
			select {
			case <-stopped:
				return
			default:
			}
			ss.forward(log, e)
			if e.Finished {
				once.Do(func() { close(stopped) })
			}
		})
		if err != nil {
			return map[string]any{"success": false, "error": "cannot read the job's log"}
		}
		ss.mu.Lock()
		if ss.follows == nil {
			ss.follows = map[int]func(){}
		}
		ss.follows[jid] = stop
		ss.mu.Unlock()
		go func() {
			select {
			case <-stopped:
			case <-ss.done:
			}
			stop()
		}()
		return map[string]any{"success": true}
	case "job-cancel":
		jid, ok := jobIDArg(args)
		if !ok {
			return map[string]any{"success": false, "error": "job-cancel: expected a job id"}
		}
		if err := ss.srv.cancelJob(ctx, ss.pid, jid); err != nil {
			return map[string]any{"success": false, "error": clientMessage(err)}
		}
		return map[string]any{"success": true}
	}
	return nil
}

// watchdog pings (protocol 4) and closes sessions that went quiet.
func (ss *sioSession) watchdog() {
	t := time.NewTicker(sioPingInterval)
	defer t.Stop()
	for {
		select {
		case <-ss.done:
			return
		case <-ss.srv.ctx.Done():
			ss.close()
			return
		case <-t.C:
			ss.mu.Lock()
			quiet := time.Since(ss.lastRecv)
			ss.mu.Unlock()
			if quiet > sioPingInterval+sioPingTimeout {
				ss.close()
				return
			}
			if ss.eio == 4 {
				ss.send("2")
			}
		}
	}
}

// serveSocketIO is /socket.io/.
func (s *Server) serveSocketIO(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	eio, _ := strconv.Atoi(q.Get("EIO"))
	if eio != 3 && eio != 4 {
		writeError(w, apiEI, errorf(http.StatusBadRequest, "unsupported Engine.IO protocol %q (3 or 4)", q.Get("EIO")))
		return
	}
	transport := q.Get("transport")
	if transport != "websocket" && transport != "polling" {
		writeError(w, apiEI, errorf(http.StatusBadRequest, "unknown transport %q (websocket or polling)", transport))
		return
	}
	if sid := q.Get("sid"); sid != "" {
		sioSessions.Lock()
		ss := sioSessions.m[sid]
		sioSessions.Unlock()
		if ss == nil || ss.eio != eio || ss.closed() {
			writeError(w, apiEI, errorf(http.StatusBadRequest, "unknown session id"))
			return
		}
		if transport == "websocket" {
			s.upgradeSession(w, r, ss)
		} else if r.Method == http.MethodPost {
			s.pollPost(w, r, ss)
		} else {
			s.pollGet(w, r, ss)
		}
		return
	}
	pid, ok := s.checkToken(q.Get("token"), time.Now())
	if !ok {
		writeError(w, apiEI, errorf(http.StatusUnauthorized, "invalid or expired socket token (GET /v1/api/{projectId}/socket-token gives one)"))
		return
	}
	if _, err := s.st.project(r.Context(), pid); err != nil {
		writeError(w, apiEI, errorf(http.StatusUnauthorized, "invalid or expired socket token"))
		return
	}
	ss := &sioSession{
		srv: s, sid: newSID(), eio: eio, pid: pid, onDemand: q.Get("onDemandLogs") == "true",
		notify: make(chan struct{}, 1), done: make(chan struct{}), lastRecv: time.Now(),
	}
	go ss.watchdog()
	if transport == "websocket" {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
		if err != nil {
			ss.close()
			return
		}
		ss.ws = true
		ss.send(ss.openPacket([]string{}))
		if eio == 3 {
			ss.connect()
		}
		s.runWebSocket(c, ss)
		return
	}
	sioSessions.Lock()
	sioSessions.m[ss.sid] = ss
	sioSessions.Unlock()
	ss.send(ss.openPacket([]string{"websocket"}))
	if eio == 3 {
		ss.connect()
	}
	s.pollGet(w, r, ss)
}

// runWebSocket pumps packets both ways until the session ends.
func (s *Server) runWebSocket(c *websocket.Conn, ss *sioSession) {
	defer ss.close()
	c.SetReadLimit(sioMaxPacket)
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	go func() {
		defer cancel()
		for {
			typ, data, err := c.Read(ctx)
			if err != nil {
				return
			}
			if typ == websocket.MessageText {
				ss.handle(string(data))
			}
			if ss.closed() {
				return
			}
		}
	}()
	for {
		for _, pkt := range ss.take() {
			wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
			err := c.Write(wctx, websocket.MessageText, []byte(pkt))
			wcancel()
			if err != nil {
				c.CloseNow()
				return
			}
		}
		select {
		case <-ss.notify:
		case <-ss.done:
			for _, pkt := range ss.take() {
				c.Write(ctx, websocket.MessageText, []byte(pkt))
			}
			c.Close(websocket.StatusNormalClosure, "")
			return
		case <-ctx.Done():
			c.CloseNow()
			return
		}
	}
}

// upgradeSession moves a polling session to a WebSocket: probe, then
// upgrade.
func (s *Server) upgradeSession(w http.ResponseWriter, r *http.Request, ss *sioSession) {
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return
	}
	c.SetReadLimit(sioMaxPacket)
	ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
	defer cancel()
	for {
		_, data, err := c.Read(ctx)
		if err != nil {
			c.CloseNow()
			return
		}
		switch pkt := string(data); {
		case pkt == "2probe":
			if err := c.Write(ctx, websocket.MessageText, []byte("3probe")); err != nil {
				c.CloseNow()
				return
			}
			// Make the pending poll return so the client can upgrade.
			ss.mu.Lock()
			ss.upgrading = true
			ss.mu.Unlock()
			ss.send("6")
		case pkt == "5":
			ss.mu.Lock()
			ss.ws = true
			ss.lastRecv = time.Now()
			ss.mu.Unlock()
			sioSessions.Lock()
			delete(sioSessions.m, ss.sid)
			sioSessions.Unlock()
			select {
			case ss.notify <- struct{}{}:
			default:
			}
			s.runWebSocket(c, ss)
			return
		default:
			ss.handle(pkt)
		}
	}
}

// encodePayload joins packets for the polling transport: protocol 3
// prefixes each with its length in UTF-16 code units and a colon,
// protocol 4 separates them with the record separator.
func encodePayload(eio int, pkts []string) string {
	if eio == 4 {
		return strings.Join(pkts, "\x1e")
	}
	var b strings.Builder
	for _, p := range pkts {
		b.WriteString(strconv.Itoa(len(utf16.Encode([]rune(p)))))
		b.WriteByte(':')
		b.WriteString(p)
	}
	return b.String()
}

// decodePayload splits a polling payload into packets.
func decodePayload(eio int, body string) ([]string, error) {
	if eio == 4 {
		return strings.Split(body, "\x1e"), nil
	}
	var pkts []string
	for len(body) > 0 {
		i := strings.IndexByte(body, ':')
		if i <= 0 {
			return nil, errors.New("malformed payload: missing length")
		}
		n, err := strconv.Atoi(body[:i])
		if err != nil || n < 0 {
			return nil, errors.New("malformed payload: bad length")
		}
		body = body[i+1:]
		// n counts UTF-16 code units.
		j, units := 0, 0
		for units < n && j < len(body) {
			r, size := utf8.DecodeRuneInString(body[j:])
			if r >= 0x10000 {
				units += 2
			} else {
				units++
			}
			j += size
		}
		if units != n {
			return nil, errors.New("malformed payload: truncated packet")
		}
		pkts = append(pkts, body[:j])
		body = body[j:]
	}
	return pkts, nil
}

func (s *Server) pollGet(w http.ResponseWriter, r *http.Request, ss *sioSession) {
	timer := time.NewTimer(sioPollWait)
	defer timer.Stop()
	var pkts []string
	for {
		ss.mu.Lock()
		ws := ss.ws
		ss.lastRecv = time.Now()
		ss.mu.Unlock()
		if ws {
			pkts = []string{"6"}
			break
		}
		if pkts = ss.take(); len(pkts) > 0 {
			break
		}
		select {
		case <-ss.notify:
			continue
		case <-ss.done:
			pkts = []string{"1"}
		case <-timer.C:
			pkts = []string{"6"}
		case <-r.Context().Done():
			return
		}
		break
	}
	w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
	w.Write([]byte(encodePayload(ss.eio, pkts)))
}

func (s *Server) pollPost(w http.ResponseWriter, r *http.Request, ss *sioSession) {
	body, err := readLimited(r, sioMaxPacket)
	if err != nil {
		writeError(w, apiEI, err)
		return
	}
	pkts, err := decodePayload(ss.eio, string(body))
	if err != nil {
		writeError(w, apiEI, errorf(http.StatusBadRequest, "%v", err))
		return
	}
	for _, p := range pkts {
		ss.handle(p)
	}
	w.Header().Set("Content-Type", "text/html")
	w.Write([]byte("ok"))
}

func readLimited(r *http.Request, limit int64) ([]byte, error) {
	r.Body = http.MaxBytesReader(nil, r.Body, limit)
	return readBody(r)
}
