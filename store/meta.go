package store

import "encoding/binary"

// Flag bits of the metadata record. They are part of the on-disk format:
// add new ones, never renumber.
const (
	flagExpire  = 1 << 0 // an expire-ms u64 follows the flags byte
	flagChunked = 1 << 1 // a string stored in chunks: id u64 · length u64 follow (string.go)
)

// Meta is a decoded metadata record. For inline strings Body is the value;
// for collections and chunked strings ID and Count are set (a chunked
// string's Count is its length in bytes) and Body is the type's tail.
type Meta struct {
	Type   Type
	Expire int64 // unix ms; 0 = no expiry
	ID     uint64
	Count  uint64
	Body   []byte // aliases the record it was decoded from
	// chunked marks a string whose bytes live in CFSub under ID.
	chunked bool
}

// isCollection reports whether values of t live under an id.
func isCollection(t Type) bool {
	return t != TypeString && t != TypeJSON && t != TypeNone
}

// hasElements reports whether the key owns records under m.ID: a
// collection's elements or a chunked string's chunks. DEL, RENAME, MOVE,
// COPY, FLUSHDB and expiry treat both alike.
func (m *Meta) hasElements() bool {
	return m.chunked || isCollection(m.Type)
}

// decodeMeta decodes a metadata record. Body aliases rec.
func decodeMeta(rec []byte) (m Meta, ok bool) {
	if len(rec) < 2 {
		return m, false
	}
	m.Type = Type(rec[0])
	flags := rec[1]
	rec = rec[2:]
	if flags&flagExpire != 0 {
		if len(rec) < 8 {
			return m, false
		}
		m.Expire = int64(binary.BigEndian.Uint64(rec))
		rec = rec[8:]
	}
	m.chunked = flags&flagChunked != 0
	if m.chunked && m.Type != TypeString {
		return m, false
	}
	if m.hasElements() {
		if len(rec) < 16 {
			return m, false
		}
		m.ID = binary.BigEndian.Uint64(rec)
		m.Count = binary.BigEndian.Uint64(rec[8:])
		rec = rec[16:]
	}
	m.Body = rec
	return m, true
}

// appendMeta encodes m.
func appendMeta(dst []byte, m *Meta) []byte {
	var flags byte
	if m.Expire != 0 {
		flags |= flagExpire
	}
	if m.chunked {
		flags |= flagChunked
	}
	dst = append(dst, byte(m.Type), flags)
	if m.Expire != 0 {
		dst = binary.BigEndian.AppendUint64(dst, uint64(m.Expire))
	}
	if m.hasElements() {
		dst = binary.BigEndian.AppendUint64(dst, m.ID)
		dst = binary.BigEndian.AppendUint64(dst, m.Count)
	}
	return append(dst, m.Body...)
}

// metaExpire reads only the expiry of an encoded record.
func metaExpire(rec []byte) int64 {
	if len(rec) >= 10 && rec[1]&flagExpire != 0 {
		return int64(binary.BigEndian.Uint64(rec[2:]))
	}
	return 0
}
