//go:build linux

package uring

import (
	"sync/atomic"
	"unsafe"

	"github.com/pawelgaczynski/giouring"
)

// giouring keeps two things a reactor needs behind unexported fields: the
// submission queue flush (liburing's __io_uring_flush_sq, which its
// submit calls do together with io_uring_enter) and the ring's flags word
// (IORING_SQ_TASKRUN, IORING_SQ_CQ_OVERFLOW). ringView mirrors the layout of
// the one giouring version go.mod allows (v0.0.0-20230826085535-69588b89acb9);
// TestRingViewMatchesGiouring pins it.

type sqView struct {
	head        *uint32
	tail        *uint32
	ringMask    *uint32
	ringEntries *uint32
	flags       *uint32
	dropped     *uint32
	array       *uint32
	sqes        unsafe.Pointer
	ringSize    uint
	ringPtr     unsafe.Pointer
	sqeHead     uint32
	sqeTail     uint32
	_           [2]uint32
}

type ringView struct {
	sq          *sqView
	cq          unsafe.Pointer
	flags       uint32
	ringFd      int
	features    uint32
	enterRingFd int
	intFlags    uint8
	_           [3]uint8
	_           uint32
}

func viewOf(r *giouring.Ring) *ringView { return (*ringView)(unsafe.Pointer(r)) }

// flushSQ publishes the prepared entries to the kernel and returns how many
// it has not consumed yet: the "to_submit" of the next io_uring_enter.
func (v *ringView) flushSQ() uint32 {
	sq := v.sq
	if sq.sqeHead != sq.sqeTail {
		sq.sqeHead = sq.sqeTail
		atomic.StoreUint32(sq.tail, sq.sqeTail)
	}
	return sq.sqeTail - atomic.LoadUint32(sq.head)
}

// sqFlags returns the ring's IORING_SQ_* flags.
func (v *ringView) sqFlags() uint32 { return atomic.LoadUint32(v.sq.flags) }

// enterFd returns the descriptor (or registered index) io_uring_enter takes,
// and the flag to add when it is a registered index.
func (v *ringView) enterFd() (int, uint32) {
	if v.intFlags&giouring.IntFlagRegRing != 0 {
		return v.enterRingFd, giouring.EnterRegisteredRing
	}
	return v.enterRingFd, 0
}
