package bench

import (
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// errProtocol is returned for bytes that are not a RESP reply.
var errProtocol = errors.New("bench: protocol error in reply")

// skipReply reports the length of the complete RESP2/RESP3 reply at the
// start of b: n == 0 means b holds only part of it. isErr is true for an
// error reply (simple or blob). It never allocates.
func skipReply(b []byte) (n int, isErr bool, err error) {
	if len(b) == 0 {
		return 0, false, nil
	}
	line := indexCRLF(b)
	if line < 0 {
		return 0, false, nil
	}
	switch b[0] {
	case '-':
		return line + 2, true, nil
	case '+', ':', '_', ',', '#', '(':
		return line + 2, false, nil
	case '$', '=', '!':
		size, ok := parseInt(b[1:line])
		if !ok {
			return 0, false, errProtocol
		}
		if size < 0 {
			return line + 2, false, nil
		}
		end := line + 2 + int(size) + 2
		if len(b) < end {
			return 0, false, nil
		}
		return end, b[0] == '!', nil
	case '*', '~', '>', '%', '|':
		count, ok := parseInt(b[1:line])
		if !ok {
			return 0, false, errProtocol
		}
		if b[0] == '%' || b[0] == '|' {
			count *= 2
		}
		if b[0] == '|' {
			count++ // the attribute precedes the real reply
		}
		pos := line + 2
		for i := int64(0); i < count; i++ {
			m, _, err := skipReply(b[pos:])
			if err != nil || m == 0 {
				return 0, false, err
			}
			pos += m
		}
		return pos, false, nil
	}
	return 0, false, errProtocol
}

func indexCRLF(b []byte) int {
	for i := 0; i+1 < len(b); i++ {
		if b[i] == '\r' && b[i+1] == '\n' {
			return i
		}
	}
	return -1
}

func parseInt(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	neg := false
	if b[0] == '-' {
		neg = true
		b = b[1:]
		if len(b) == 0 {
			return 0, false
		}
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
		if n > 1<<40 {
			return 0, false
		}
	}
	if neg {
		n = -n
	}
	return n, true
}

// conn is one client connection: a reusable write buffer for a pipeline of
// commands and a read buffer that replies are parsed from in place.
type conn struct {
	nc   net.Conn
	wbuf []byte
	rbuf []byte
	r, w int
}

func dial(addr string, timeout time.Duration) (*conn, error) {
	nc, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	return &conn{nc: nc, wbuf: make([]byte, 0, 64<<10), rbuf: make([]byte, 64<<10)}, nil
}

func (c *conn) close() { _ = c.nc.Close() }

// flush writes the buffered commands.
func (c *conn) flush() error {
	_, err := c.nc.Write(c.wbuf)
	c.wbuf = c.wbuf[:0]
	return err
}

// next returns the length of the next complete reply in the buffer and
// whether it is an error, reading from the socket as needed; fresh is
// true when bytes had to be read for it (the caller takes a new
// timestamp). The reply is c.rbuf[c.r : c.r+n] until the next call.
func (c *conn) next() (n int, isErr, fresh bool, err error) {
	for {
		n, isErr, err = skipReply(c.rbuf[c.r:c.w])
		if err != nil {
			return 0, false, fresh, err
		}
		if n > 0 {
			return n, isErr, fresh, nil
		}
		if err := c.fill(); err != nil {
			return 0, false, fresh, err
		}
		fresh = true
	}
}

func (c *conn) fill() error {
	if c.r > 0 {
		c.w = copy(c.rbuf, c.rbuf[c.r:c.w])
		c.r = 0
	}
	if c.w == len(c.rbuf) {
		// A reply larger than the buffer: grow it (bounded by the
		// server's replies, which the workloads keep small).
		if len(c.rbuf) >= 512<<20 {
			return fmt.Errorf("bench: reply larger than %d bytes", len(c.rbuf))
		}
		nb := make([]byte, 2*len(c.rbuf))
		copy(nb, c.rbuf[:c.w])
		c.rbuf = nb
	}
	m, err := c.nc.Read(c.rbuf[c.w:])
	c.w += m
	if m > 0 {
		return nil
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return err
}

// do sends one command and returns its reply's bytes (a copy): for set-up
// commands outside the measured loop.
func (c *conn) do(args ...string) ([]byte, error) {
	c.wbuf = appendHeader(c.wbuf[:0], len(args), args[0])
	for _, a := range args[1:] {
		c.wbuf = appendBulkString(c.wbuf, a)
	}
	if err := c.flush(); err != nil {
		return nil, err
	}
	n, _, _, err := c.next()
	if err != nil {
		return nil, err
	}
	out := append([]byte(nil), c.rbuf[c.r:c.r+n]...)
	c.r += n
	return out, nil
}
