//go:build linux

package uring

import (
	"fmt"
	"unsafe"

	"github.com/pawelgaczynski/giouring"
	"golang.org/x/sys/unix"
)

// bufGroup is the buffer group id of every ring's receive buffers.
const bufGroup = 0

// bufRing is a ring of provided receive buffers (IORING_REGISTER_PBUF_RING):
// the kernel picks a free buffer when data arrives, so idle connections hold
// no receive memory. Both the ring and the buffers live outside the Go heap
// (mmap), owned by the reactor that registered them.
type bufRing struct {
	ringMem []byte // n entries of struct io_uring_buf
	mem     []byte // n buffers of size bytes
	br      *giouring.BufAndRing
	n       int
	size    int
	mask    int
}

// newBufRing registers n buffers of size bytes with ring and hands all of
// them to the kernel.
func newBufRing(ring *giouring.Ring, n, size int) (*bufRing, error) {
	b := &bufRing{n: n, size: size, mask: giouring.BufRingMask(uint32(n))}
	var err error
	b.ringMem, err = unix.Mmap(-1, 0, n*int(unsafe.Sizeof(giouring.BufAndRing{})), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		return nil, fmt.Errorf("mmap: %w", err)
	}
	b.mem, err = unix.Mmap(-1, 0, n*size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		_ = unix.Munmap(b.ringMem)
		return nil, fmt.Errorf("mmap: %w", err)
	}
	b.br = (*giouring.BufAndRing)(unsafe.Pointer(&b.ringMem[0]))
	reg := giouring.BufReg{RingAddr: uint64(uintptr(unsafe.Pointer(b.br))), RingEntries: uint32(n), Bgid: bufGroup}
	if _, err := ring.RegisterBufferRing(&reg, 0); err != nil {
		_ = unix.Munmap(b.mem)
		_ = unix.Munmap(b.ringMem)
		return nil, fmt.Errorf("register: %w", err)
	}
	b.br.BufRingInit()
	for i := 0; i < n; i++ {
		b.br.BufRingAdd(b.addr(uint16(i)), uint32(size), uint16(i), b.mask, i)
	}
	b.br.BufRingAdvance(n)
	return b, nil
}

func (b *bufRing) addr(bid uint16) uintptr {
	return uintptr(unsafe.Pointer(&b.mem[int(bid)*b.size]))
}

// data returns the first n bytes of buffer bid, valid until recycle.
func (b *bufRing) data(bid uint16, n int) []byte {
	off := int(bid) * b.size
	return b.mem[off : off+n : off+b.size]
}

// recycle gives buffer bid back to the kernel.
func (b *bufRing) recycle(bid uint16) {
	b.br.BufRingAdd(b.addr(bid), uint32(b.size), bid, b.mask, 0)
	b.br.BufRingAdvance(1)
}

// free unregisters the ring and unmaps its memory. No receive may be
// pending on ring.
func (b *bufRing) free(ring *giouring.Ring) {
	_, _ = ring.UnregisterBufferRing(bufGroup)
	_ = unix.Munmap(b.mem)
	_ = unix.Munmap(b.ringMem)
	b.br, b.mem, b.ringMem = nil, nil, nil
}
