package store

import "encoding/binary"

// wbuf builds a RocksDB WriteBatch in Go memory, in RocksDB's serialized
// format (db/write_batch.cc), so a whole group crosses into C once
// (grocksdb.WriteBatchFrom) instead of once per Put.
//
//	header:  sequence fixed64 (0) · count fixed32
//	record:  tag u8 · [cf varint32] · key varstring · [value varstring]
type wbuf struct {
	b     []byte
	count uint32
	cfIDs *[numCF]uint32
}

// Record tags of the serialized format.
const (
	tagDeletion         = 0x0
	tagValue            = 0x1
	tagCFDeletion       = 0x4
	tagCFValue          = 0x5
	tagCFRangeDeletion  = 0xE
	tagRangeDeletion    = 0xF
	wbufHeaderLen       = 12
	wbufMinReservedSize = 4 << 10
)

func (w *wbuf) reset() {
	if cap(w.b) < wbufMinReservedSize {
		w.b = make([]byte, wbufHeaderLen, wbufMinReservedSize)
	}
	w.b = w.b[:wbufHeaderLen]
	clear(w.b)
	w.count = 0
}

func (w *wbuf) empty() bool { return w.count == 0 }

// data returns the serialized batch; valid until the next change.
func (w *wbuf) data() []byte {
	binary.LittleEndian.PutUint32(w.b[8:], w.count)
	return w.b
}

func (w *wbuf) tag(cf CF, plain, withCF byte) {
	id := w.cfIDs[cf]
	if id == 0 {
		w.b = append(w.b, plain)
	} else {
		w.b = append(w.b, withCF)
		w.b = binary.AppendUvarint(w.b, uint64(id))
	}
	w.count++
}

func (w *wbuf) str(s []byte) {
	w.b = binary.AppendUvarint(w.b, uint64(len(s)))
	w.b = append(w.b, s...)
}

func (w *wbuf) put(cf CF, key, val []byte) {
	w.tag(cf, tagValue, tagCFValue)
	w.str(key)
	w.str(val)
}

func (w *wbuf) del(cf CF, key []byte) {
	w.tag(cf, tagDeletion, tagCFDeletion)
	w.str(key)
}

func (w *wbuf) delRange(cf CF, start, end []byte) {
	w.tag(cf, tagRangeDeletion, tagCFRangeDeletion)
	w.str(start)
	w.str(end)
}
