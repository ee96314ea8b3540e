package qliktest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// H2Front is a real HTTP/2 server (TLS with ALPN "h2" only) in front of a
// Tenant. It speaks HTTP/2 frame by frame, so that it can do what Go's own
// server cannot: reset a stream with PROTOCOL_ERROR after the tenant handled
// its request, the fault that makes Go's HTTP/2 client send a request again
// by itself when it can rewind the body (golang/go#47635). Every request is
// forwarded to the tenant, so the tenant's counts include the requests the
// front answered with a reset.
type H2Front struct {
	// URL is the front's base URL (https on 127.0.0.1).
	URL string

	tenant   *Tenant
	ln       net.Listener
	certPool *x509.CertPool
	upstream *http.Client

	mu     sync.Mutex
	resets []string // "METHOD path" of requests to reset, in order
	conns  []net.Conn
	closed bool
	wg     sync.WaitGroup
}

// NewH2Front starts an HTTP/2 front for the tenant and stops it when the
// test ends. Clients must trust CertPool and negotiate HTTP/2: the front
// offers nothing else.
func (t *Tenant) NewH2Front(tb testing.TB) *H2Front {
	tb.Helper()
	cert, pool, err := selfSignedCert()
	if err != nil {
		tb.Fatalf("qliktest: certificate for the HTTP/2 front: %v", err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{cert},
		NextProtos:   []string{http2.NextProtoTLS},
		MinVersion:   tls.VersionTLS12,
	})
	if err != nil {
		tb.Fatalf("qliktest: listen: %v", err)
	}
	f := &H2Front{
		URL:      "https://" + ln.Addr().String(),
		tenant:   t,
		ln:       ln,
		certPool: pool,
		upstream: &http.Client{Transport: &http.Transport{}},
	}
	f.wg.Add(1)
	go f.serve()
	tb.Cleanup(f.Close)
	return f
}

// CertPool returns a pool that trusts the front's certificate.
func (f *H2Front) CertPool() *x509.CertPool { return f.certPool }

// ResetAfterHandling makes the next request with method and path (such as
// POST /api/v1/reloads) reach the tenant, which acts on it, and then
// answers it with RST_STREAM PROTOCOL_ERROR instead of the tenant's answer.
func (f *H2Front) ResetAfterHandling(method, path string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.resets = append(f.resets, method+" "+path)
}

// Close stops the front. Calling it twice is harmless.
func (f *H2Front) Close() {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return
	}
	f.closed = true
	for _, c := range f.conns {
		c.Close()
	}
	f.mu.Unlock()
	f.ln.Close()
	f.wg.Wait()
	f.upstream.CloseIdleConnections()
}

func (f *H2Front) serve() {
	defer f.wg.Done()
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.mu.Lock()
		if f.closed {
			f.mu.Unlock()
			c.Close()
			return
		}
		f.conns = append(f.conns, c)
		f.wg.Add(1)
		f.mu.Unlock()
		go func() {
			defer f.wg.Done()
			defer c.Close()
			f.serveConn(c)
		}()
	}
}

// h2conn is one client connection: frames are read by serveConn and
// written, from the stream goroutines too, under mu.
type h2conn struct {
	mu  sync.Mutex
	fr  *http2.Framer
	enc *hpack.Encoder
	buf bytes.Buffer
}

type h2stream struct {
	method, path string
	header       http.Header
	body         bytes.Buffer
}

func (f *H2Front) serveConn(c net.Conn) {
	preface := make([]byte, len(http2.ClientPreface))
	if _, err := io.ReadFull(c, preface); err != nil || string(preface) != http2.ClientPreface {
		return
	}
	hc := &h2conn{fr: http2.NewFramer(c, c)}
	hc.enc = hpack.NewEncoder(&hc.buf)
	hc.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	hc.mu.Lock()
	err := hc.fr.WriteSettings()
	hc.mu.Unlock()
	if err != nil {
		return
	}
	streams := map[uint32]*h2stream{}
	var handlers sync.WaitGroup
	defer handlers.Wait()
	for {
		frame, err := hc.fr.ReadFrame()
		if err != nil {
			return
		}
		var ended *h2stream
		var id uint32
		switch fr := frame.(type) {
		case *http2.SettingsFrame:
			if !fr.IsAck() {
				hc.write(func() error { return hc.fr.WriteSettingsAck() })
			}
		case *http2.PingFrame:
			if !fr.IsAck() {
				hc.write(func() error { return hc.fr.WritePing(true, fr.Data) })
			}
		case *http2.MetaHeadersFrame:
			s := &h2stream{header: http.Header{}}
			for _, hf := range fr.Fields {
				switch hf.Name {
				case ":method":
					s.method = hf.Value
				case ":path":
					s.path = hf.Value
				default:
					if !strings.HasPrefix(hf.Name, ":") {
						s.header.Add(hf.Name, hf.Value)
					}
				}
			}
			streams[fr.StreamID] = s
			if fr.StreamEnded() {
				ended, id = s, fr.StreamID
			}
		case *http2.DataFrame:
			s := streams[fr.StreamID]
			if s == nil {
				continue
			}
			s.body.Write(fr.Data())
			if n := uint32(len(fr.Data())); n > 0 {
				hc.write(func() error { return hc.fr.WriteWindowUpdate(0, n) })
			}
			if fr.StreamEnded() {
				ended, id = s, fr.StreamID
			}
		case *http2.RSTStreamFrame:
			delete(streams, fr.StreamID)
		case *http2.GoAwayFrame:
			return
		}
		if ended != nil {
			delete(streams, id)
			handlers.Add(1)
			go func() {
				defer handlers.Done()
				f.handle(hc, id, ended)
			}()
		}
	}
}

// write runs fn, which writes frames, under the connection's write lock.
func (hc *h2conn) write(fn func() error) {
	hc.mu.Lock()
	defer hc.mu.Unlock()
	_ = fn()
}

// handle forwards a complete request to the tenant and answers the stream
// with the tenant's answer, or with a reset.
func (f *H2Front) handle(hc *h2conn, id uint32, s *h2stream) {
	f.mu.Lock()
	reset := false
	key := s.method + " " + strings.SplitN(s.path, "?", 2)[0]
	for i, r := range f.resets {
		if r == key {
			f.resets = append(f.resets[:i], f.resets[i+1:]...)
			reset = true
			break
		}
	}
	f.mu.Unlock()

	status, header, body, err := f.forward(s)
	if reset {
		hc.write(func() error { return hc.fr.WriteRSTStream(id, http2.ErrCodeProtocol) })
		return
	}
	if err != nil {
		hc.write(func() error { return hc.fr.WriteRSTStream(id, http2.ErrCodeInternal) })
		return
	}
	hc.write(func() error {
		hc.buf.Reset()
		fields := []hpack.HeaderField{
			{Name: ":status", Value: strconv.Itoa(status)},
			{Name: "content-length", Value: strconv.Itoa(len(body))},
		}
		for _, name := range []string{"Content-Type", "Retry-After"} {
			if v := header.Get(name); v != "" {
				fields = append(fields, hpack.HeaderField{Name: strings.ToLower(name), Value: v})
			}
		}
		for _, hf := range fields {
			if err := hc.enc.WriteField(hf); err != nil {
				return err
			}
		}
		if err := hc.fr.WriteHeaders(http2.HeadersFrameParam{
			StreamID: id, BlockFragment: hc.buf.Bytes(), EndHeaders: true, EndStream: len(body) == 0,
		}); err != nil {
			return err
		}
		const maxFrame = 16 << 10
		for len(body) > 0 {
			n := min(len(body), maxFrame)
			if err := hc.fr.WriteData(id, n == len(body), body[:n]); err != nil {
				return err
			}
			body = body[n:]
		}
		return nil
	})
}

// forward sends the stream's request to the tenant over HTTP/1.1.
func (f *H2Front) forward(s *h2stream) (int, http.Header, []byte, error) {
	req, err := http.NewRequest(s.method, f.tenant.URL+s.path, bytes.NewReader(s.body.Bytes()))
	if err != nil {
		return 0, nil, nil, err
	}
	for name, vs := range s.header {
		for _, v := range vs {
			req.Header.Add(name, v)
		}
	}
	resp, err := f.upstream.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, nil, err
	}
	return resp.StatusCode, resp.Header, body, nil
}

// selfSignedCert makes a certificate for 127.0.0.1 and a pool that trusts
// it.
func selfSignedCert() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "qliktest HTTP/2 front"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool, nil
}
