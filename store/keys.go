package store

import (
	"encoding/binary"
	"math"
)

// CF names a column family.
type CF uint8

// Column families. Their names are part of the on-disk format.
const (
	CFSub CF = iota // "default": collection elements
	CFMeta
	CFScore
	CFStream
	CFExpire
	CFSys
	numCF
)

var cfNames = [numCF]string{"default", "meta", "score", "stream", "expire", "sys"}

// Type identifies a value's data type. The numbers are stored on disk.
type Type uint8

// Data types.
const (
	TypeNone   Type = 0
	TypeString Type = 1
	TypeList   Type = 2
	TypeHash   Type = 3
	TypeSet    Type = 4
	TypeZSet   Type = 5
	TypeStream Type = 6
	TypeJSON   Type = 7
)

// String returns the name TYPE reports.
func (t Type) String() string {
	switch t {
	case TypeString:
		return "string"
	case TypeList:
		return "list"
	case TypeHash:
		return "hash"
	case TypeSet:
		return "set"
	case TypeZSet:
		return "zset"
	case TypeStream:
		return "stream"
	case TypeJSON:
		return "ReJSON-RL"
	}
	return "none"
}

// NumSlots is the number of hash slots, as in Redis Cluster.
const NumSlots = 16384

// Slot returns the hash slot of key: CRC16 of the key, or of the part inside
// the first non-empty {...} hash tag.
func Slot(key []byte) uint16 {
	for i := 0; i < len(key); i++ {
		if key[i] == '{' {
			for j := i + 1; j < len(key); j++ {
				if key[j] == '}' {
					if j > i+1 {
						key = key[i+1 : j]
					}
					return crc16(key) & (NumSlots - 1)
				}
			}
			break
		}
	}
	return crc16(key) & (NumSlots - 1)
}

// crc16 is CRC-16/XMODEM (poly 0x1021), the checksum Redis Cluster uses.
func crc16(b []byte) uint16 {
	var crc uint16
	for _, c := range b {
		crc = crc<<8 ^ crc16tab[byte(crc>>8)^c]
	}
	return crc
}

var crc16tab = func() (t [256]uint16) {
	for i := range t {
		crc := uint16(i) << 8
		for j := 0; j < 8; j++ {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
		t[i] = crc
	}
	return
}()

// appendMetaKey appends the meta CF key of (db, key).
func appendMetaKey(dst []byte, db int, key []byte) []byte {
	s := Slot(key)
	dst = append(dst, byte(db), byte(s>>8), byte(s))
	return append(dst, key...)
}

// metaKeyUser returns the user key inside a meta CF key.
func metaKeyUser(mk []byte) []byte { return mk[3:] }

// appendSubKey appends the element key of (id, elem).
func appendSubKey(dst []byte, id uint64, elem []byte) []byte {
	dst = binary.BigEndian.AppendUint64(dst, id)
	return append(dst, elem...)
}

// idPrefix returns the 8-byte prefix of every element key of id.
func idPrefix(id uint64) [8]byte {
	var p [8]byte
	binary.BigEndian.PutUint64(p[:], id)
	return p
}

// appendExpireKey appends the expire CF key of (at, db, key).
func appendExpireKey(dst []byte, at int64, db int, key []byte) []byte {
	dst = binary.BigEndian.AppendUint64(dst, uint64(at))
	dst = append(dst, byte(db))
	return append(dst, key...)
}

// EncodeScore maps a float64 to 8 bytes whose byte order is numeric order.
func EncodeScore(dst []byte, f float64) []byte {
	if f == 0 {
		f = 0 // -0 and +0 sort as one
	}
	u := math.Float64bits(f)
	if u&(1<<63) != 0 {
		u = ^u
	} else {
		u |= 1 << 63
	}
	return binary.BigEndian.AppendUint64(dst, u)
}

// DecodeScore inverts EncodeScore.
func DecodeScore(b []byte) float64 {
	u := binary.BigEndian.Uint64(b)
	if u&(1<<63) != 0 {
		u &^= 1 << 63
	} else {
		u = ^u
	}
	return math.Float64frombits(u)
}

// prefixEnd returns the smallest key greater than every key with prefix p,
// or nil if there is none (p is all 0xff).
func prefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}
