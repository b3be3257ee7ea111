package store

import (
	"encoding/binary"
	"math"
	"strconv"
)

// Streams (t_stream.c): entries, consumer groups, consumers and pending
// entries lists, with redis-server 7.0's semantics.
//
// # Encoding
//
// Metadata record (meta CF): type 6, id, count = number of entries, body =
// the stream tail below, so XLEN, XADD's id checks and XINFO STREAM's
// counters need no scan. Integers are big-endian.
//
//	+---+----------+----------+-------------+---------+--------+------+-------+------------------------+
//	| v | last-id  | first-id | max-deleted | entries | groups | next | nodes | if nodes > 0:          |
//	| 1 | ms · seq | ms · seq | ms · seq    | added   |        | gid  |       | head master ms · seq,  |
//	| u8| 16       | 16       | 16          | u64     | u64    | u64  | u64   | tail master, tail node |
//	+---+----------+----------+-------------+---------+--------+------+-------+------------------------+
//
// Entries (stream CF), one record per entry:
//
//	key:   id u64 · ms u64 · seq u64
//	value: pairs uvarint · (len uvarint · field · len uvarint · value) × pairs
//
// Groups, consumers, PEL and nodes (default CF, under the same id; gid is a
// per-stream group number from the tail's allocator, so that destroying a
// group is three range deletes and a recreated group starts clean):
//
//	'g' · group name                        gid u64 · last-delivered ms · seq · entries-read i64
//	                                        (-1: unknown) · pending u64 · consumers u64 ·
//	                                        pel-low ms · seq
//	'c' · gid u64 · consumer name           seen-time i64 · active-time i64 · pending u64 ·
//	                                        pel-low ms · seq
//	'p' · gid u64 · ms u64 · seq u64        delivery-time i64 · delivery-count u64 · consumer name
//	'q' · gid u64 · len u32 · consumer name · ms u64 · seq u64
//	                                        empty: the consumer's own PEL, in id order
//	'n' · master ms u64 · seq u64           a sealed node (below)
//
// Group records sort by name and consumer records by name within their
// group, which is the order Redis's radix trees report them in. pel-low is
// a lower bound of the ids pending in the group (or consumer): raised past
// an acknowledged id that equals it, lowered by any new pending id, it
// lets PEL scans start after the tombstones of acknowledged entries.
//
// # Nodes
//
// Redis keeps a stream as a radix tree of listpacks ("nodes") of at most
// stream-node-max-entries entries (deleted ones included) and
// stream-node-max-bytes bytes; approximate trimming (MAXLEN ~, MINID ~)
// only ever removes whole nodes, and XINFO STREAM reports the node count.
// DiskDB stores entries one per record but keeps the same node boundaries:
// each node is (master id, last id, live and deleted entry counts, the byte
// size its listpack would have, and a hash of its master fields), computed
// with listpack's exact encoding sizes. The tail node lives in the
// metadata (XADD touches nothing else); the others are 'n' records. So
// "XADD ... MAXLEN ~ n" and XTRIM ~ trim exactly what redis-server trims.
// The head node's master id is in the metadata too, so trimming starts
// with a point read instead of a scan over the records of dead nodes.
//
//	node record: last ms · seq · live u64 · deleted u64 · bytes u64 · fields-hash u64 · fields u64
//
// DEL, UNLINK and expiry drop everything through Tx.DeleteKey, which
// clears both the default and the stream CF under the id (elementCFs).

// StreamID is the id of a stream entry.
type StreamID struct{ Ms, Seq uint64 }

// MaxStreamID is the greatest id ("+").
var MaxStreamID = StreamID{math.MaxUint64, math.MaxUint64}

// Cmp returns -1, 0 or 1 as a is less than, equal to or greater than b.
func (a StreamID) Cmp(b StreamID) int {
	switch {
	case a.Ms > b.Ms:
		return 1
	case a.Ms < b.Ms:
		return -1
	case a.Seq > b.Seq:
		return 1
	case a.Seq < b.Seq:
		return -1
	}
	return 0
}

// IsZero reports whether id is 0-0.
func (a StreamID) IsZero() bool { return a.Ms == 0 && a.Seq == 0 }

// Incr returns the next id; ok is false (and the id 0-0) after the last.
func (a StreamID) Incr() (StreamID, bool) {
	if a.Seq == math.MaxUint64 {
		if a.Ms == math.MaxUint64 {
			return StreamID{}, false
		}
		return StreamID{a.Ms + 1, 0}, true
	}
	return StreamID{a.Ms, a.Seq + 1}, true
}

// Decr returns the previous id; ok is false (and the id the maximum)
// before the first.
func (a StreamID) Decr() (StreamID, bool) {
	if a.Seq == 0 {
		if a.Ms == 0 {
			return MaxStreamID, false
		}
		return StreamID{a.Ms - 1, math.MaxUint64}, true
	}
	return StreamID{a.Ms, a.Seq - 1}, true
}

// AppendText appends "ms-seq".
func (a StreamID) AppendText(dst []byte) []byte {
	dst = strconv.AppendUint(dst, a.Ms, 10)
	dst = append(dst, '-')
	return strconv.AppendUint(dst, a.Seq, 10)
}

// String returns "ms-seq".
func (a StreamID) String() string { return string(a.AppendText(nil)) }

func appendID(dst []byte, id StreamID) []byte {
	dst = binary.BigEndian.AppendUint64(dst, id.Ms)
	return binary.BigEndian.AppendUint64(dst, id.Seq)
}

func decodeID(b []byte) StreamID {
	return StreamID{binary.BigEndian.Uint64(b), binary.BigEndian.Uint64(b[8:])}
}

// Errors of the stream API, worded as redis-server words them.
var (
	ErrStreamIDTooSmall  = errorString("ERR The ID specified in XADD is equal or smaller than the target stream top item")
	ErrStreamTooLarge    = errorString("ERR Elements are too large to be stored")
	ErrStreamExhausted   = errorString("ERR The stream has exhausted the last possible ID, unable to add more items")
	errStreamCorruptNode = errorString("ERR corrupt stream node record detected; refusing to serve it")
)

type errorString string

func (e errorString) Error() string { return string(e) }

// Defaults of stream-node-max-bytes and stream-node-max-entries.
const (
	DefaultStreamNodeMaxBytes   = 4096
	DefaultStreamNodeMaxEntries = 100
	streamListpackMaxSize       = 1 << 30
)

// Element key prefixes in the default CF.
const (
	pfxGroup    = 'g'
	pfxConsumer = 'c'
	pfxNACK     = 'p'
	pfxCPEL     = 'q'
	pfxNode     = 'n'
)

// --- the metadata tail and node records ---

// lpNode is one emulated listpack node.
type lpNode struct {
	master, last   StreamID
	live, deleted  uint64
	bytes          uint64 // listpack size without the live and deleted counters
	fhash, nfields uint64 // the master entry's fields
}

const nodeRecLen = 56 // node record without the master id

func (n *lpNode) appendRec(dst []byte) []byte {
	dst = appendID(dst, n.last)
	dst = binary.BigEndian.AppendUint64(dst, n.live)
	dst = binary.BigEndian.AppendUint64(dst, n.deleted)
	dst = binary.BigEndian.AppendUint64(dst, n.bytes)
	dst = binary.BigEndian.AppendUint64(dst, n.fhash)
	return binary.BigEndian.AppendUint64(dst, n.nfields)
}

func (n *lpNode) decodeRec(master StreamID, b []byte) bool {
	if len(b) != nodeRecLen {
		return false
	}
	n.master = master
	n.last = decodeID(b)
	n.live = binary.BigEndian.Uint64(b[16:])
	n.deleted = binary.BigEndian.Uint64(b[24:])
	n.bytes = binary.BigEndian.Uint64(b[32:])
	n.fhash = binary.BigEndian.Uint64(b[40:])
	n.nfields = binary.BigEndian.Uint64(b[48:])
	return true
}

// lpBytes is the size of the node's listpack.
func (n *lpNode) lpBytes() uint64 {
	return n.bytes + lpIntSize(int64(n.live)) + lpIntSize(int64(n.deleted))
}

type streamTail struct {
	last, first, maxDel StreamID
	added               uint64
	groups              uint64
	nextGID             uint64
	nodes               uint64
	head                StreamID // master of the first node, when nodes > 0
	tail                lpNode   // valid when nodes > 0
}

const (
	streamTailVersion = 1
	streamTailLen     = 81
)

func (t *streamTail) encode(dst []byte) []byte {
	dst = append(dst, streamTailVersion)
	dst = appendID(dst, t.last)
	dst = appendID(dst, t.first)
	dst = appendID(dst, t.maxDel)
	dst = binary.BigEndian.AppendUint64(dst, t.added)
	dst = binary.BigEndian.AppendUint64(dst, t.groups)
	dst = binary.BigEndian.AppendUint64(dst, t.nextGID)
	dst = binary.BigEndian.AppendUint64(dst, t.nodes)
	if t.nodes > 0 {
		dst = appendID(dst, t.head)
		dst = appendID(dst, t.tail.master)
		dst = t.tail.appendRec(dst)
	}
	return dst
}

func (t *streamTail) decode(b []byte) bool {
	if len(b) < streamTailLen || b[0] != streamTailVersion {
		return false
	}
	t.last = decodeID(b[1:])
	t.first = decodeID(b[17:])
	t.maxDel = decodeID(b[33:])
	t.added = binary.BigEndian.Uint64(b[49:])
	t.groups = binary.BigEndian.Uint64(b[57:])
	t.nextGID = binary.BigEndian.Uint64(b[65:])
	t.nodes = binary.BigEndian.Uint64(b[73:])
	b = b[streamTailLen:]
	if t.nodes == 0 {
		t.head, t.tail = StreamID{}, lpNode{}
		return len(b) == 0
	}
	if len(b) != 32+nodeRecLen {
		return false
	}
	t.head = decodeID(b)
	return t.tail.decodeRec(decodeID(b[16:]), b[32:])
}

// --- listpack sizes (listpack.c), for the node emulation ---

// lpIntSize is the size of an integer element: encoding plus back-length.
func lpIntSize(v int64) uint64 {
	switch {
	case v >= 0 && v <= 127:
		return 2
	case v >= -4096 && v <= 4095:
		return 3
	case v >= -32768 && v <= 32767:
		return 4
	case v >= -8388608 && v <= 8388607:
		return 5
	case v >= math.MinInt32 && v <= math.MaxInt32:
		return 6
	}
	return 10
}

// lpStrSize is the size of a string element: listpack stores strings that
// are canonical integers as integers.
func lpStrSize(s []byte) uint64 {
	if len(s) > 0 && len(s) < 21 {
		if v, ok := parseStrictInt(s); ok {
			return lpIntSize(v)
		}
	}
	l := uint64(len(s))
	var enc uint64
	switch {
	case l < 64:
		enc = 1 + l
	case l < 4096:
		enc = 2 + l
	default:
		enc = 5 + l
	}
	switch {
	case enc <= 127:
		return enc + 1
	case enc < 16383:
		return enc + 2
	case enc < 2097151:
		return enc + 3
	case enc < 268435455:
		return enc + 4
	}
	return enc + 5
}

// parseStrictInt is redis's string2ll: optional '-', no leading zeros, no
// spaces or '+', within int64.
func parseStrictInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	i, neg := 0, false
	if b[0] == '-' {
		if len(b) == 1 {
			return 0, false
		}
		neg, i = true, 1
	}
	if b[i] < '1' || b[i] > '9' {
		return 0, false
	}
	var v uint64
	for ; i < len(b); i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if v > math.MaxUint64/10 {
			return 0, false
		}
		v *= 10
		if v > math.MaxUint64-uint64(c-'0') {
			return 0, false
		}
		v += uint64(c - '0')
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}

// fieldsHash identifies a master entry's field names (FNV-1a over
// length-prefixed fields).
func fieldsHash(fv [][]byte) uint64 {
	h := uint64(14695981039346656037)
	mix := func(c byte) {
		h ^= uint64(c)
		h *= 1099511628211
	}
	for i := 0; i < len(fv); i += 2 {
		f := fv[i]
		n := len(f)
		mix(byte(n >> 24))
		mix(byte(n >> 16))
		mix(byte(n >> 8))
		mix(byte(n))
		for _, c := range f {
			mix(c)
		}
	}
	return h
}

// --- entry values ---

func appendEntryValue(dst []byte, fv [][]byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(fv)/2))
	for _, b := range fv {
		dst = binary.AppendUvarint(dst, uint64(len(b)))
		dst = append(dst, b...)
	}
	return dst
}

// decodeEntryValue splits an entry value into fields and values that
// alias v, appended to dst[:0].
func decodeEntryValue(v []byte, dst [][]byte) ([][]byte, bool) {
	dst = dst[:0]
	pairs, n := binary.Uvarint(v)
	if n <= 0 || pairs > uint64(len(v)) {
		return dst, false
	}
	v = v[n:]
	for i := uint64(0); i < 2*pairs; i++ {
		l, n := binary.Uvarint(v)
		if n <= 0 || l > uint64(len(v)-n) {
			return dst, false
		}
		dst = append(dst, v[n:n+int(l):n+int(l)])
		v = v[n+int(l):]
	}
	return dst, len(v) == 0
}

// --- the stream handle ---

// Stream is a stream opened for one command. Changes are buffered in the
// handle and its groups and written by Save, which the command must call
// before it ends. Field and value slices handed to callbacks are valid only
// during the call.
type Stream struct {
	tx     *Tx
	db     int
	key    []byte
	m      Meta
	t      streamTail
	exists bool
	dirty  bool

	// NodeMaxBytes and NodeMaxEntries are stream-node-max-bytes and
	// stream-node-max-entries (0: unlimited, as in Redis).
	NodeMaxBytes, NodeMaxEntries int64

	groups []*Group // opened groups, saved by Save
	kb     []byte   // scratch element key
	kb2    []byte
	vb     []byte // scratch value
	fv     [][]byte
}

// OpenStream opens the stream at key. It returns nil if the key does not
// exist and ErrWrongType if it holds another type.
func (tx *Tx) OpenStream(db int, key []byte) (*Stream, error) {
	m, ok, err := tx.LookupType(db, key, TypeStream)
	if err != nil || !ok {
		return nil, err
	}
	s := &Stream{tx: tx, db: db, key: key, m: m, exists: true,
		NodeMaxBytes: DefaultStreamNodeMaxBytes, NodeMaxEntries: DefaultStreamNodeMaxEntries}
	if !s.t.decode(m.Body) {
		tx.e.log.Error("corrupt stream metadata", "db", db, "key", string(key))
		return nil, ErrCorrupt
	}
	s.m.Body = nil
	return s, nil
}

// CreateStream returns a new empty stream at key, which must not exist.
// It is written by Save.
func (tx *Tx) CreateStream(db int, key []byte) (*Stream, error) {
	id, err := tx.NewID()
	if err != nil {
		return nil, err
	}
	return &Stream{tx: tx, db: db, key: key, m: Meta{Type: TypeStream, ID: id}, dirty: true,
		NodeMaxBytes: DefaultStreamNodeMaxBytes, NodeMaxEntries: DefaultStreamNodeMaxEntries}, nil
}

// Save writes the stream's metadata and every changed group and consumer.
func (s *Stream) Save() {
	for _, g := range s.groups {
		g.save()
	}
	if !s.dirty {
		return
	}
	s.vb = s.t.encode(s.vb[:0])
	m := s.m
	m.Body = s.vb
	var old *Meta
	if s.exists {
		old = &s.m
	}
	s.tx.PutMeta(s.db, s.key, &m, old)
	s.exists = true
	s.dirty = false
}

// Len returns the number of entries.
func (s *Stream) Len() uint64 { return s.m.Count }

// LastID returns the last generated id.
func (s *Stream) LastID() StreamID { return s.t.last }

// FirstID returns the recorded first entry id (0-0 when empty).
func (s *Stream) FirstID() StreamID { return s.t.first }

// MaxDeletedID returns the greatest id removed by XDEL.
func (s *Stream) MaxDeletedID() StreamID { return s.t.maxDel }

// EntriesAdded returns the number of entries ever added.
func (s *Stream) EntriesAdded() uint64 { return s.t.added }

// NumGroups returns the number of consumer groups.
func (s *Stream) NumGroups() uint64 { return s.t.groups }

// Nodes returns the number of listpack nodes redis-server would hold
// (XINFO STREAM radix-tree-keys).
func (s *Stream) Nodes() uint64 { return s.t.nodes }

// SetLastID sets the last generated id and, when entriesAdded >= 0, the
// entries-added counter and, when maxDel is not 0-0, the max deleted id
// (XSETID; the caller has validated them).
func (s *Stream) SetLastID(id StreamID, entriesAdded int64, maxDel StreamID) {
	s.t.last = id
	if entriesAdded >= 0 {
		s.t.added = uint64(entriesAdded)
	}
	if !maxDel.IsZero() {
		s.t.maxDel = maxDel
	}
	s.dirty = true
}

func (s *Stream) entryKey(id StreamID) []byte {
	s.kb = appendID(s.kb[:0], id)
	return s.kb
}

// Entry returns the fields and values of entry id.
func (s *Stream) Entry(id StreamID) ([][]byte, bool, error) {
	v, ok, err := s.tx.GetElem(CFStream, s.m.ID, s.entryKey(id))
	if err != nil || !ok {
		return nil, false, err
	}
	var good bool
	s.fv, good = decodeEntryValue(v, s.fv)
	if !good {
		return nil, false, ErrCorrupt
	}
	return s.fv, true, nil
}

// entryExists reports whether entry id exists.
func (s *Stream) entryExists(id StreamID) (bool, error) {
	_, ok, err := s.tx.GetElem(CFStream, s.m.ID, s.entryKey(id))
	return ok, err
}

// nextID is streamNextID: the clock's millisecond, or the last id plus one.
func (s *Stream) nextID() StreamID {
	ms := uint64(s.tx.Now())
	if ms > s.t.last.Ms {
		return StreamID{ms, 0}
	}
	id, _ := s.t.last.Incr()
	return id
}

// Append adds an entry of field/value pairs fv (XADD). With idGiven, id is
// the requested id; with seqGiven false its sequence is automatic (the
// "ms-*" form). It returns the new id, or ErrStreamIDTooSmall.
func (s *Stream) Append(fv [][]byte, id StreamID, idGiven, seqGiven bool) (StreamID, error) {
	var nid StreamID
	switch {
	case !idGiven:
		nid = s.nextID()
	case seqGiven:
		nid = id
	case s.t.last.Ms == id.Ms:
		if s.t.last.Seq == math.MaxUint64 {
			// redis-server 7.0 fails here without setting errno and so
			// reports the "too large" error.
			return StreamID{}, ErrStreamTooLarge
		}
		nid = StreamID{id.Ms, s.t.last.Seq + 1}
	default:
		nid = StreamID{id.Ms, 0}
	}
	if nid.Cmp(s.t.last) <= 0 {
		return StreamID{}, ErrStreamIDTooSmall
	}
	var total uint64
	for _, b := range fv {
		total += uint64(len(b))
	}
	if total > streamListpackMaxSize {
		return StreamID{}, ErrStreamTooLarge
	}
	s.addToNode(nid, fv, total)
	s.vb = appendEntryValue(s.vb[:0], fv)
	s.tx.PutElem(CFStream, s.m.ID, s.entryKey(nid), s.vb)
	s.m.Count++
	s.t.added++
	s.t.last = nid
	if s.m.Count == 1 {
		s.t.first = nid
	}
	s.dirty = true
	return nid, nil
}

// addToNode accounts entry id in the tail node, sealing it and starting a
// new one where redis-server's streamAppendItem would.
func (s *Stream) addToNode(id StreamID, fv [][]byte, total uint64) {
	n := uint64(len(fv) / 2)
	tail := &s.t.tail
	fresh := s.t.nodes == 0
	if !fresh {
		maxBytes := uint64(s.NodeMaxBytes)
		if maxBytes == 0 || maxBytes > streamListpackMaxSize {
			maxBytes = streamListpackMaxSize
		}
		if tail.lpBytes()+total >= maxBytes ||
			(s.NodeMaxEntries > 0 && tail.live+tail.deleted >= uint64(s.NodeMaxEntries)) {
			s.putNode(tail)
			fresh = true
		}
	}
	var h uint64
	if fresh || n == tail.nfields {
		h = fieldsHash(fv)
	}
	same := false
	if fresh {
		// Header and end byte, the master entry's counters come from
		// live and deleted, its field count, fields and terminator.
		b := uint64(7) + lpIntSize(int64(n)) + 2
		for i := 0; i < len(fv); i += 2 {
			b += lpStrSize(fv[i])
		}
		*tail = lpNode{master: id, bytes: b, fhash: h, nfields: n}
		if s.t.nodes == 0 {
			s.t.head = id
		}
		s.t.nodes++
		same = true
	} else {
		same = n == tail.nfields && h == tail.fhash
	}
	// flags, ms and seq deltas, [field count, fields], values, lp-count.
	b := uint64(2) + lpIntSize(int64(id.Ms-tail.master.Ms)) + lpIntSize(int64(id.Seq-tail.master.Seq))
	lpCount := n + 3
	if !same {
		b += lpIntSize(int64(n))
		lpCount += n + 1
	}
	for i := 0; i < len(fv); i += 2 {
		if !same {
			b += lpStrSize(fv[i])
		}
		b += lpStrSize(fv[i+1])
	}
	b += lpIntSize(int64(lpCount))
	tail.bytes += b
	tail.live++
	tail.last = id
}

func (s *Stream) nodeKey(master StreamID) []byte {
	s.kb2 = append(s.kb2[:0], pfxNode)
	s.kb2 = appendID(s.kb2, master)
	return s.kb2
}

func (s *Stream) putNode(n *lpNode) {
	s.vb = n.appendRec(s.vb[:0])
	s.tx.PutElem(CFSub, s.m.ID, s.nodeKey(n.master), s.vb)
}

// saveNode writes node n back, the tail into the metadata.
func (s *Stream) saveNode(n *lpNode, isTail bool) {
	if isTail {
		s.t.tail = *n
		s.dirty = true
		return
	}
	s.putNode(n)
}

// loadNode returns the node whose master id is master.
func (s *Stream) loadNode(master StreamID) (lpNode, bool, error) {
	if s.t.nodes > 0 && master == s.t.tail.master {
		return s.t.tail, true, nil
	}
	var n lpNode
	v, ok, err := s.tx.GetElem(CFSub, s.m.ID, s.nodeKey(master))
	if err != nil {
		return n, false, err
	}
	if !ok || !n.decodeRec(master, v) {
		return n, false, errStreamCorruptNode
	}
	return n, false, nil
}

// nodeAfter returns the node following n; ok is false if n is the last.
func (s *Stream) nodeAfter(n *lpNode) (next lpNode, isTail, ok bool, err error) {
	if s.t.nodes == 0 || n.master.Cmp(s.t.tail.master) >= 0 {
		return next, false, false, nil
	}
	from, more := n.last.Incr()
	if !more {
		return s.t.tail, true, true, nil
	}
	lo := append([]byte{pfxNode}, appendID(nil, from)...)
	gi := s.newGroupIter(CFSub, lo, []byte{pfxNode + 1})
	found := gi.valid
	if found && (len(gi.key) != 17 || !next.decodeRec(decodeID(gi.key[1:]), gi.val)) {
		err = errStreamCorruptNode
	} else if !found {
		err = gi.err
	}
	gi.close()
	if err != nil || found {
		return next, false, found, err
	}
	if s.groupWrote() {
		// A node sealed by this group is only in its overlay.
		it := s.tx.Iter(CFSub, s.m.ID, lo, []byte{pfxNode + 1}, false)
		defer it.Close()
		if it.Valid() {
			k := it.Key()
			if len(k) != 17 || !next.decodeRec(decodeID(k[1:]), it.Value()) {
				return next, false, false, errStreamCorruptNode
			}
			return next, false, true, nil
		}
		if err := it.Err(); err != nil {
			return next, false, false, err
		}
	}
	return s.t.tail, true, true, nil
}

// removeNode drops node n. A removed head is followed by the next node; a
// removed tail is replaced by the last sealed node, as the listpack before
// it becomes the radix tree's last.
func (s *Stream) removeNode(n *lpNode, isTail bool) error {
	if n.master == s.t.head && s.t.nodes > 1 {
		next, _, _, err := s.nodeAfter(n)
		if err != nil {
			return err
		}
		s.t.head = next.master
	}
	s.t.nodes--
	s.dirty = true
	if !isTail {
		s.tx.DelElem(CFSub, s.m.ID, s.nodeKey(n.master))
		return nil
	}
	s.t.tail = lpNode{}
	if s.t.nodes == 0 {
		s.t.head = StreamID{}
		return nil
	}
	lower := append([]byte(nil), s.nodeKey(s.t.head)...)
	it := s.tx.Iter(CFSub, s.m.ID, lower, []byte{pfxNode + 1}, true)
	defer it.Close()
	if !it.Valid() {
		if err := it.Err(); err != nil {
			return err
		}
		return errStreamCorruptNode
	}
	k := it.Key()
	if len(k) != 17 || !s.t.tail.decodeRec(decodeID(k[1:]), it.Value()) {
		return errStreamCorruptNode
	}
	s.tx.DelElem(CFSub, s.m.ID, s.nodeKey(s.t.tail.master))
	return nil
}

// nodeOf finds the node holding entry id.
func (s *Stream) nodeOf(id StreamID) (lpNode, bool, error) {
	if s.t.nodes > 0 && id.Cmp(s.t.tail.master) >= 0 {
		return s.t.tail, true, nil
	}
	lower := []byte{pfxNode}
	if id.Cmp(s.t.head) >= 0 {
		lower = s.nodeKey(s.t.head) // skip the records of trimmed nodes
	}
	lower = append([]byte(nil), lower...)
	upper := append(s.nodeKey(id), 0)
	it := s.tx.Iter(CFSub, s.m.ID, lower, upper, true)
	defer it.Close()
	var n lpNode
	if !it.Valid() {
		if err := it.Err(); err != nil {
			return n, false, err
		}
		return n, false, errStreamCorruptNode
	}
	k := it.Key()
	if len(k) != 17 || !n.decodeRec(decodeID(k[1:]), it.Value()) {
		return n, false, errStreamCorruptNode
	}
	return n, false, nil
}

// Range calls fn for the entries with start <= id <= end, ascending (rev:
// descending), at most count of them (0: all), until fn returns false. It
// returns how many it passed to fn.
func (s *Stream) Range(start, end StreamID, count int64, rev bool, fn func(id StreamID, fv [][]byte) bool) (int64, error) {
	// Nothing lies outside [first, last]: starting there skips the
	// tombstones of trimmed or deleted entries.
	start, end = maxID(start, s.t.first), minID(end, s.t.last)
	if s.m.Count == 0 || start.Cmp(end) > 0 {
		return 0, nil
	}
	lo := appendID(nil, start)
	var hi []byte
	if e, ok := end.Incr(); ok {
		hi = appendID(nil, e)
	}
	it := s.tx.Iter(CFStream, s.m.ID, lo, hi, rev)
	defer it.Close()
	var n int64
	for ; it.Valid(); it.Next() {
		k := it.Key()
		if len(k) != 16 {
			return n, ErrCorrupt
		}
		var ok bool
		s.fv, ok = decodeEntryValue(it.Value(), s.fv)
		if !ok {
			return n, ErrCorrupt
		}
		n++
		if !fn(decodeID(k), s.fv) || (count > 0 && n >= count) {
			break
		}
	}
	return n, it.Err()
}

// edgeID returns the first (or last) entry's id; ok is false when empty.
func (s *Stream) edgeID(last bool) (StreamID, bool, error) {
	var id StreamID
	found := false
	_, err := s.Range(StreamID{}, MaxStreamID, 1, last, func(e StreamID, _ [][]byte) bool {
		id, found = e, true
		return false
	})
	return id, found, err
}

// LastEntryID returns the greatest id present (streamLastValidID).
func (s *Stream) LastEntryID() (StreamID, bool, error) { return s.edgeID(true) }

// Delete removes the entries ids (XDEL) and returns how many existed.
func (s *Stream) Delete(ids []StreamID) (int64, error) {
	var deleted int64
	firstGone := false
	for _, id := range ids {
		ok, err := s.entryExists(id)
		if err != nil {
			return deleted, err
		}
		if !ok {
			continue
		}
		n, isTail, err := s.nodeOf(id)
		if err != nil {
			return deleted, err
		}
		s.tx.DelElem(CFStream, s.m.ID, s.entryKey(id))
		if n.live <= 1 {
			if err := s.removeNode(&n, isTail); err != nil {
				return deleted, err
			}
		} else {
			n.live--
			n.deleted++
			s.saveNode(&n, isTail)
		}
		s.m.Count--
		if id == s.t.first {
			firstGone = true
		}
		if id.Cmp(s.t.maxDel) > 0 {
			s.t.maxDel = id
		}
		deleted++
		s.dirty = true
	}
	if deleted > 0 {
		if s.m.Count == 0 {
			s.t.first = StreamID{}
		} else if firstGone {
			id, _, err := s.firstEntryFrom(s.t.first)
			if err != nil {
				return deleted, err
			}
			s.t.first = id
		}
	}
	return deleted, nil
}

// Trim strategies.
const (
	TrimNone = iota
	TrimMaxLen
	TrimMinID
)

// TrimArgs are XADD's and XTRIM's trimming options.
type TrimArgs struct {
	Strategy int
	MaxLen   int64
	MinID    StreamID
	Approx   bool
	Limit    int64 // entries an approximate trim may remove; 0: no limit
}

// smallNode is the size up to which a removed node's entries are deleted
// one by one rather than with a range delete.
const smallNode = 32

// Trim removes entries from the head (streamTrim): whole nodes while they
// fit the strategy, then (unless approximate) single entries of the first
// remaining node. It returns how many entries it removed.
func (s *Stream) Trim(a TrimArgs) (int64, error) {
	if a.Strategy == TrimNone || s.t.nodes == 0 {
		return 0, nil
	}
	if a.Strategy == TrimMaxLen && s.m.Count <= uint64(a.MaxLen) {
		return 0, nil
	}
	var deleted int64
	first := s.t.first // entries before it are gone
	newFirst, firstKnown := StreamID{}, false
	n, isTail, err := s.loadNode(s.t.head)
	if err != nil {
		return 0, err
	}
	for {
		if a.Strategy == TrimMaxLen && s.m.Count <= uint64(a.MaxLen) {
			break
		}
		entries := n.live
		if a.Limit > 0 && uint64(deleted)+entries > uint64(a.Limit) {
			break
		}
		var remove bool
		if a.Strategy == TrimMaxLen {
			remove = s.m.Count-entries >= uint64(a.MaxLen)
		} else {
			remove = n.last.Cmp(a.MinID) < 0
		}
		if remove {
			if err := s.dropNodeEntries(&n, first); err != nil {
				return deleted, err
			}
			if err := s.removeNode(&n, isTail); err != nil {
				return deleted, err
			}
			s.m.Count -= entries
			deleted += int64(entries)
			if s.t.nodes == 0 {
				break
			}
			if n, isTail, err = s.loadNode(s.t.head); err != nil {
				return deleted, err
			}
			continue
		}
		if a.Approx {
			break
		}
		// Remove single entries from this node.
		var fromNode int64
		newFirst, firstKnown, fromNode, err = s.trimInNode(&n, first, a)
		if err != nil {
			return deleted, err
		}
		n.live -= uint64(fromNode)
		n.deleted += uint64(fromNode)
		s.saveNode(&n, isTail)
		deleted += fromNode
		break
	}
	if deleted > 0 {
		s.dirty = true
		switch {
		case s.m.Count == 0:
			s.t.first = StreamID{}
		case firstKnown:
			s.t.first = newFirst
		default:
			id, _, err := s.firstEntryFrom(first)
			if err != nil {
				return deleted, err
			}
			s.t.first = id
		}
	}
	return deleted, nil
}

// groupIter walks the stream's keys of cf in [lo, hi) as the group sees
// them, but in RocksDB only, without committing the group's pending writes
// first (which Tx.Iter does, costing one RocksDB write per command in a
// pipeline): keys the group deleted are skipped and values it rewrote are
// read from its overlay. Keys the group created are not seen. Entry ids
// and node master ids only grow, so such keys lie after every RocksDB key
// of the range: a caller that runs out of RocksDB keys before it is done
// goes on with Tx.Iter, and only if the group wrote to the stream.
type groupIter struct {
	it    *mergedIter
	key   []byte // element key, without the stream id
	val   []byte
	valid bool
	err   error
}

func (s *Stream) newGroupIter(cf CF, lo, hi []byte) *groupIter {
	lower := appendSubKey(nil, s.m.ID, lo)
	var upper []byte
	if hi != nil {
		upper = appendSubKey(nil, s.m.ID, hi)
	} else {
		e := idPrefix(s.m.ID + 1)
		upper = e[:]
	}
	g := &groupIter{it: s.tx.newMergedIter(cf, lower, upper, false)}
	g.settle()
	return g
}

// settle exposes the merged iterator's current entry (the merged iterator
// already applies the group's pending writes and deletes).
func (g *groupIter) settle() {
	g.valid = g.it.Valid()
	if g.valid {
		g.key = g.it.Key()[8:]
		g.val = g.it.Value()
		return
	}
	g.err = g.it.Err()
}

func (g *groupIter) next() {
	g.it.Next()
	g.settle()
}

func (g *groupIter) close() { g.it.Close() }

// groupWrote reports whether the group holds writes a groupIter cannot
// see: none, since it walks the merged view.
func (s *Stream) groupWrote() bool { return false }

// walkEntries calls fn for the entries in [from, n.last] of node n, in id
// order, until fn returns false; through RocksDB first, then (when RocksDB
// runs out early and the group wrote to the stream) through Tx.Iter.
func (s *Stream) walkEntries(n *lpNode, from StreamID, fn func(id StreamID, k []byte) bool) error {
	var hi []byte // exclusive bound; nil: the stream's end
	if e, ok := n.last.Incr(); ok {
		hi = appendID(nil, e)
	}
	gi := s.newGroupIter(CFStream, appendID(nil, from), hi)
	var last StreamID
	seen := false
	for ; gi.valid; gi.next() {
		if len(gi.key) != 16 {
			gi.close()
			return ErrCorrupt
		}
		last, seen = decodeID(gi.key), true
		if !fn(last, gi.key) {
			gi.close()
			return nil
		}
	}
	err := gi.err
	gi.close()
	if err != nil || !s.groupWrote() {
		return err
	}
	if seen {
		if last == n.last {
			return nil
		}
		from, _ = last.Incr()
	}
	it := s.tx.Iter(CFStream, s.m.ID, appendID(nil, from), hi, false)
	defer it.Close()
	for ; it.Valid(); it.Next() {
		k := it.Key()
		if len(k) != 16 {
			return ErrCorrupt
		}
		if !fn(decodeID(k), k) {
			break
		}
	}
	return it.Err()
}

// trimInNode deletes node n's entries from the head while the strategy
// asks for it. When it stops at an entry, that entry is the new first.
func (s *Stream) trimInNode(n *lpNode, first StreamID, a TrimArgs) (next StreamID, stopped bool, removed int64, err error) {
	err = s.walkEntries(n, maxID(n.master, first), func(id StreamID, k []byte) bool {
		if a.Strategy == TrimMaxLen && s.m.Count <= uint64(a.MaxLen) ||
			a.Strategy == TrimMinID && id.Cmp(a.MinID) >= 0 {
			next, stopped = id, true
			return false
		}
		s.tx.DelElem(CFStream, s.m.ID, k)
		s.m.Count--
		removed++
		return true
	})
	return next, stopped, removed, err
}

func minID(a, b StreamID) StreamID {
	if a.Cmp(b) <= 0 {
		return a
	}
	return b
}

func maxID(a, b StreamID) StreamID {
	if a.Cmp(b) >= 0 {
		return a
	}
	return b
}

// firstEntryFrom returns the first entry id at or after from (entries
// before from are known to be gone, so their tombstones are not walked).
func (s *Stream) firstEntryFrom(from StreamID) (StreamID, bool, error) {
	gi := s.newGroupIter(CFStream, appendID(nil, from), nil)
	found, err := gi.valid, gi.err
	var id StreamID
	if found {
		if len(gi.key) != 16 {
			err = ErrCorrupt
		}
		id = decodeID(gi.key)
	}
	gi.close()
	if found || err != nil || !s.groupWrote() {
		return id, found, err
	}
	_, err = s.Range(from, MaxStreamID, 1, false, func(e StreamID, _ [][]byte) bool {
		id, found = e, true
		return false
	})
	return id, found, err
}

// dropNodeEntries deletes the entries of node n (none is before first).
func (s *Stream) dropNodeEntries(n *lpNode, first StreamID) error {
	from := maxID(n.master, first)
	if n.live > smallNode {
		var hi []byte
		if e, ok := n.last.Incr(); ok {
			hi = appendID(nil, e)
		}
		s.tx.DelElemRange(CFStream, s.m.ID, appendID(nil, from), hi)
		return nil
	}
	if n.live == 0 {
		return nil
	}
	left := n.live
	return s.walkEntries(n, from, func(_ StreamID, k []byte) bool {
		s.tx.DelElem(CFStream, s.m.ID, k)
		left--
		return left > 0
	})
}

// rangeHasTombstones is streamRangeHasTombstones with an open end: whether
// an entry deleted by XDEL may lie at or after start.
func (s *Stream) rangeHasTombstones(start StreamID) bool {
	if s.m.Count == 0 || s.t.maxDel.IsZero() {
		return false
	}
	if s.t.first.Cmp(s.t.maxDel) > 0 {
		return false
	}
	return start.Cmp(s.t.maxDel) <= 0
}

// estimateEntriesRead is streamEstimateDistanceFromFirstEverEntry: the
// logical read counter of id, or -1 when it cannot be known.
func (s *Stream) estimateEntriesRead(id StreamID) int64 {
	if s.t.added == 0 {
		return 0
	}
	if s.m.Count == 0 && id.Cmp(s.t.last) < 1 {
		return int64(s.t.added)
	}
	switch id.Cmp(s.t.last) {
	case 0:
		return int64(s.t.added)
	case 1:
		return -1
	}
	if s.t.maxDel.IsZero() || s.t.maxDel.Cmp(s.t.first) < 0 {
		switch id.Cmp(s.t.first) {
		case -1:
			return int64(s.t.added - s.m.Count)
		case 0:
			return int64(s.t.added-s.m.Count) + 1
		}
	}
	return -1
}

// Lag returns the group's lag (streamReplyWithCGLag); ok is false when it
// cannot be known.
func (s *Stream) Lag(g *Group) (int64, bool) {
	if s.t.added == 0 {
		return 0, true
	}
	if g.EntriesRead != -1 && !s.rangeHasTombstones(g.Last) {
		return int64(s.t.added) - g.EntriesRead, true
	}
	if r := s.estimateEntriesRead(g.Last); r != -1 {
		return int64(s.t.added) - r, true
	}
	return 0, false
}

// --- consumer groups ---

// Group is a consumer group opened through its stream. Its changes, and
// those of its consumers, are written by the stream's Save.
type Group struct {
	s           *Stream
	Name        []byte
	gid         uint64
	Last        StreamID // last delivered id
	EntriesRead int64    // -1: unknown
	Pending     uint64   // PEL size
	NConsumers  uint64
	pelLow      StreamID // no pending id is smaller
	dirty       bool
	deleted     bool
	cons        []*Consumer // loaded consumers
}

// Consumer is a consumer of a group.
type Consumer struct {
	Name    []byte
	Seen    int64 // last interaction, unix ms
	Active  int64 // last successful read or claim, unix ms (-1: never)
	Pending uint64
	pelLow  StreamID // none of its pending ids is smaller
	dirty   bool
	deleted bool
}

// PendingEntry is one entry of a PEL.
type PendingEntry struct {
	ID           StreamID
	Consumer     []byte
	DeliveryTime int64
	Deliveries   uint64
}

const (
	groupRecLen    = 64
	consumerRecLen = 40
)

func (s *Stream) groupKey(name []byte) []byte {
	s.kb = append(s.kb[:0], pfxGroup)
	s.kb = append(s.kb, name...)
	return s.kb
}

func (g *Group) decode(b []byte) bool {
	if len(b) != groupRecLen {
		return false
	}
	g.gid = binary.BigEndian.Uint64(b)
	g.Last = decodeID(b[8:])
	g.EntriesRead = int64(binary.BigEndian.Uint64(b[24:]))
	g.Pending = binary.BigEndian.Uint64(b[32:])
	g.NConsumers = binary.BigEndian.Uint64(b[40:])
	g.pelLow = decodeID(b[48:])
	return true
}

func (g *Group) save() {
	for _, c := range g.cons {
		if c.dirty && !g.deleted {
			g.putConsumer(c)
		}
	}
	if !g.dirty || g.deleted {
		return
	}
	s := g.s
	v := binary.BigEndian.AppendUint64(s.vb[:0], g.gid)
	v = appendID(v, g.Last)
	v = binary.BigEndian.AppendUint64(v, uint64(g.EntriesRead))
	v = binary.BigEndian.AppendUint64(v, g.Pending)
	v = binary.BigEndian.AppendUint64(v, g.NConsumers)
	v = appendID(v, g.pelLow)
	s.vb = v
	s.tx.PutElem(CFSub, s.m.ID, s.groupKey(g.Name), v)
	g.dirty = false
}

// Group opens group name; nil if it does not exist.
func (s *Stream) Group(name []byte) (*Group, error) {
	for _, g := range s.groups {
		if !g.deleted && string(g.Name) == string(name) {
			return g, nil
		}
	}
	v, ok, err := s.tx.GetElem(CFSub, s.m.ID, s.groupKey(name))
	if err != nil || !ok {
		return nil, err
	}
	g := &Group{s: s, Name: append([]byte(nil), name...)}
	if !g.decode(v) {
		return nil, ErrCorrupt
	}
	s.groups = append(s.groups, g)
	return g, nil
}

// CreateGroup creates group name with last delivered id last (XGROUP
// CREATE). It returns false if the group exists.
func (s *Stream) CreateGroup(name []byte, last StreamID, entriesRead int64) (bool, error) {
	g, err := s.Group(name)
	if err != nil || g != nil {
		return false, err
	}
	s.t.nextGID++
	s.t.groups++
	s.dirty = true
	g = &Group{s: s, Name: append([]byte(nil), name...), gid: s.t.nextGID, Last: last, EntriesRead: entriesRead,
		pelLow: MaxStreamID, dirty: true}
	s.groups = append(s.groups, g)
	return true, nil
}

// DestroyGroup deletes group name with its consumers and PEL. It returns
// false if there was no such group.
func (s *Stream) DestroyGroup(name []byte) (bool, error) {
	g, err := s.Group(name)
	if err != nil || g == nil {
		return false, err
	}
	g.deleted = true
	s.tx.DelElem(CFSub, s.m.ID, s.groupKey(name))
	for _, p := range []byte{pfxConsumer, pfxNACK, pfxCPEL} {
		lo := binary.BigEndian.AppendUint64([]byte{p}, g.gid)
		s.tx.DelElemRange(CFSub, s.m.ID, lo, binary.BigEndian.AppendUint64([]byte{p}, g.gid+1))
	}
	s.t.groups--
	s.dirty = true
	return true, nil
}

// Groups calls fn for every group in name order.
func (s *Stream) Groups(fn func(g *Group) bool) error {
	s.Save()
	it := s.tx.Iter(CFSub, s.m.ID, []byte{pfxGroup}, []byte{pfxGroup + 1}, false)
	defer it.Close()
	for ; it.Valid(); it.Next() {
		k := it.Key()
		g := &Group{s: s, Name: append([]byte(nil), k[1:]...)}
		if !g.decode(it.Value()) {
			return ErrCorrupt
		}
		if !fn(g) {
			break
		}
	}
	return it.Err()
}

// SetLast sets the last delivered id and entries-read (XGROUP SETID).
func (g *Group) SetLast(id StreamID, entriesRead int64) {
	g.Last, g.EntriesRead, g.dirty = id, entriesRead, true
}

// --- consumers ---

func (g *Group) consumerKey(name []byte) []byte {
	s := g.s
	s.kb2 = append(s.kb2[:0], pfxConsumer)
	s.kb2 = binary.BigEndian.AppendUint64(s.kb2, g.gid)
	s.kb2 = append(s.kb2, name...)
	return s.kb2
}

func (g *Group) putConsumer(c *Consumer) {
	s := g.s
	var v [consumerRecLen]byte
	binary.BigEndian.PutUint64(v[:], uint64(c.Seen))
	binary.BigEndian.PutUint64(v[8:], uint64(c.Active))
	binary.BigEndian.PutUint64(v[16:], c.Pending)
	binary.BigEndian.PutUint64(v[24:], c.pelLow.Ms)
	binary.BigEndian.PutUint64(v[32:], c.pelLow.Seq)
	s.tx.PutElem(CFSub, s.m.ID, g.consumerKey(c.Name), v[:])
	c.dirty = false
}

func decodeConsumer(name, v []byte) (*Consumer, bool) {
	if len(v) != consumerRecLen {
		return nil, false
	}
	return &Consumer{Name: name, Seen: int64(binary.BigEndian.Uint64(v)),
		Active: int64(binary.BigEndian.Uint64(v[8:])), Pending: binary.BigEndian.Uint64(v[16:]),
		pelLow: decodeID(v[24:])}, true
}

// Consumer returns consumer name, nil if it does not exist. With create it
// is created (seen now) and created reports it.
func (g *Group) Consumer(name []byte, create bool) (c *Consumer, created bool, err error) {
	for _, c := range g.cons {
		if string(c.Name) == string(name) {
			if c.deleted {
				break
			}
			return c, false, nil
		}
	}
	v, ok, err := g.s.tx.GetElem(CFSub, g.s.m.ID, g.consumerKey(name))
	if err != nil {
		return nil, false, err
	}
	if ok {
		c, good := decodeConsumer(append([]byte(nil), name...), v)
		if !good {
			return nil, false, ErrCorrupt
		}
		g.cons = append(g.cons, c)
		return c, false, nil
	}
	if !create {
		return nil, false, nil
	}
	c = &Consumer{Name: append([]byte(nil), name...), Seen: g.s.tx.Now(), Active: -1, pelLow: MaxStreamID, dirty: true}
	g.cons = append(g.cons, c)
	g.NConsumers++
	g.dirty = true
	return c, true, nil
}

// Touch marks c seen now.
func (g *Group) Touch(c *Consumer) {
	c.Seen = g.s.tx.Now()
	c.dirty = true
}

// DelConsumer deletes consumer name and its pending entries (XGROUP
// DELCONSUMER). It returns how many entries it had pending and whether it
// existed.
func (g *Group) DelConsumer(name []byte) (int64, bool, error) {
	c, _, err := g.Consumer(name, false)
	if err != nil || c == nil {
		return 0, false, err
	}
	s := g.s
	s.Save()
	lo, hi := g.cpelRange(name)
	from := append([]byte(nil), g.cpelKey(name, c.pelLow)...)
	it := s.tx.Iter(CFSub, s.m.ID, from, hi, false)
	var n uint64
	for ; it.Valid(); it.Next() {
		k := it.Key()
		if len(k) < 16 {
			it.Close()
			return 0, false, ErrCorrupt
		}
		s.tx.DelElem(CFSub, s.m.ID, g.nackKey(decodeID(k[len(k)-16:])))
		n++
	}
	err = it.Err()
	it.Close()
	if err != nil {
		return 0, false, err
	}
	s.tx.DelElemRange(CFSub, s.m.ID, lo, hi)
	s.tx.DelElem(CFSub, s.m.ID, g.consumerKey(name))
	c.deleted, c.dirty = true, false
	g.Pending -= n
	g.NConsumers--
	g.dirty = true
	return int64(n), true, nil
}

// Consumers calls fn for every consumer in name order.
func (g *Group) Consumers(fn func(c *Consumer) bool) error {
	g.s.Save()
	lo := g.consumerKey(nil)
	lo = append([]byte(nil), lo...)
	hi := binary.BigEndian.AppendUint64([]byte{pfxConsumer}, g.gid+1)
	it := g.s.tx.Iter(CFSub, g.s.m.ID, lo, hi, false)
	defer it.Close()
	for ; it.Valid(); it.Next() {
		k := it.Key()
		c, ok := decodeConsumer(append([]byte(nil), k[9:]...), it.Value())
		if !ok {
			return ErrCorrupt
		}
		if !fn(c) {
			break
		}
	}
	return it.Err()
}

// --- pending entries ---

func (g *Group) nackKey(id StreamID) []byte {
	s := g.s
	s.kb = append(s.kb[:0], pfxNACK)
	s.kb = binary.BigEndian.AppendUint64(s.kb, g.gid)
	s.kb = appendID(s.kb, id)
	return s.kb
}

func (g *Group) cpelKey(consumer []byte, id StreamID) []byte {
	s := g.s
	s.kb2 = append(s.kb2[:0], pfxCPEL)
	s.kb2 = binary.BigEndian.AppendUint64(s.kb2, g.gid)
	s.kb2 = binary.BigEndian.AppendUint32(s.kb2, uint32(len(consumer)))
	s.kb2 = append(s.kb2, consumer...)
	s.kb2 = appendID(s.kb2, id)
	return s.kb2
}

// cpelRange returns the bounds of consumer's own PEL records.
func (g *Group) cpelRange(consumer []byte) (lo, hi []byte) {
	k := g.cpelKey(consumer, StreamID{})
	lo = append([]byte(nil), k[:len(k)-16]...)
	return lo, prefixEnd(lo)
}

// nack is a decoded PEL record; consumer aliases the read buffer.
type nack struct {
	time     int64
	count    uint64
	consumer []byte
}

func decodeNACK(v []byte) (nack, bool) {
	if len(v) < 16 {
		return nack{}, false
	}
	return nack{int64(binary.BigEndian.Uint64(v)), binary.BigEndian.Uint64(v[8:]), v[16:]}, true
}

func (g *Group) getNACK(id StreamID) (nack, bool, error) {
	v, ok, err := g.s.tx.GetElem(CFSub, g.s.m.ID, g.nackKey(id))
	if err != nil || !ok {
		return nack{}, false, err
	}
	n, good := decodeNACK(v)
	if !good {
		return nack{}, false, ErrCorrupt
	}
	n.consumer = append([]byte(nil), n.consumer...)
	return n, true, nil
}

func (g *Group) putNACK(id StreamID, n nack) {
	s := g.s
	v := binary.BigEndian.AppendUint64(s.vb[:0], uint64(n.time))
	v = binary.BigEndian.AppendUint64(v, n.count)
	v = append(v, n.consumer...)
	s.vb = v
	s.tx.PutElem(CFSub, s.m.ID, g.nackKey(id), v)
}

// owner returns the loaded consumer named name (it must exist: a NACK
// points to it).
func (g *Group) owner(name []byte) (*Consumer, error) {
	c, _, err := g.Consumer(name, false)
	if err == nil && c == nil {
		err = ErrCorrupt
	}
	return c, err
}

// assign makes c own pending entry id (in the consumer PELs and counts),
// taking it from its previous owner prev (nil: none).
func (g *Group) assign(id StreamID, prev []byte, c *Consumer) error {
	if prev != nil {
		if string(prev) == string(c.Name) {
			return nil
		}
		old, err := g.owner(prev)
		if err != nil {
			return err
		}
		g.s.tx.DelElem(CFSub, g.s.m.ID, g.cpelKey(prev, id))
		old.Pending--
		old.pelLow = raiseLow(old.pelLow, id)
		old.dirty = true
	}
	g.s.tx.PutElem(CFSub, g.s.m.ID, g.cpelKey(c.Name, id), nil)
	c.Pending++
	c.pelLow = minID(c.pelLow, id)
	c.dirty = true
	return nil
}

// raiseLow returns the PEL low-water mark after id, which was pending,
// left: past id if it was the mark.
func raiseLow(low, id StreamID) StreamID {
	if low == id {
		if next, ok := id.Incr(); ok {
			return next
		}
	}
	return low
}

// addPending counts a new entry id of the group PEL.
func (g *Group) addPending(id StreamID) {
	g.Pending++
	g.pelLow = minID(g.pelLow, id)
	g.dirty = true
}

// removeNACK deletes pending entry id owned by owner.
func (g *Group) removeNACK(id StreamID, owner []byte) error {
	c, err := g.owner(owner)
	if err != nil {
		return err
	}
	g.s.tx.DelElem(CFSub, g.s.m.ID, g.nackKey(id))
	g.s.tx.DelElem(CFSub, g.s.m.ID, g.cpelKey(owner, id))
	c.Pending--
	c.pelLow = raiseLow(c.pelLow, id)
	c.dirty = true
	g.Pending--
	g.pelLow = raiseLow(g.pelLow, id)
	g.dirty = true
	return nil
}

// ReadNew delivers the entries after the group's last delivered id to
// consumer name (XREADGROUP with ">"), at most count (0: all), recording
// them in the PEL unless noack. The consumer is looked up, or created
// (created reports it), only when there is something to deliver, as
// redis-server does. It returns how many entries it delivered.
func (g *Group) ReadNew(name []byte, count int64, noack bool, fn func(id StreamID, fv [][]byte)) (n int64, created bool, err error) {
	s := g.s
	start, ok := g.Last.Incr()
	if !ok {
		return 0, false, nil
	}
	now := s.tx.Now()
	var c *Consumer
	var ferr error
	n, err = s.Range(start, MaxStreamID, count, false, func(id StreamID, fv [][]byte) bool {
		if c == nil {
			if c, created, ferr = g.Consumer(name, true); ferr != nil {
				return false
			}
			g.Touch(c)
		}
		if id.Cmp(g.Last) > 0 {
			if g.EntriesRead != -1 && !s.rangeHasTombstones(id) {
				g.EntriesRead++
			} else if s.t.added != 0 {
				g.EntriesRead = s.estimateEntriesRead(id)
			}
			g.Last = id
			g.dirty = true
		}
		fn(id, fv)
		if noack {
			return true
		}
		old, found, err := g.getNACK(id)
		if err != nil {
			ferr = err
			return false
		}
		var prev []byte
		if found {
			prev = old.consumer
		} else {
			g.addPending(id)
		}
		g.putNACK(id, nack{time: now, count: 1, consumer: c.Name})
		if err := g.assign(id, prev, c); err != nil {
			ferr = err
			return false
		}
		return true
	})
	if err == nil {
		err = ferr
	}
	if c != nil && n > 0 {
		c.Active = now
		c.dirty = true
	}
	return n, created, err
}

// ReadHistory replays c's own pending entries with ids >= start (XREADGROUP
// with an id), at most count (0: all), bumping their delivery counters. An
// entry deleted from the stream is reported with fv nil and exists false.
func (g *Group) ReadHistory(c *Consumer, start StreamID, count int64, fn func(id StreamID, fv [][]byte, exists bool)) (int64, error) {
	s := g.s
	s.Save()
	_, hi := g.cpelRange(c.Name)
	lo := append([]byte(nil), g.cpelKey(c.Name, maxID(start, c.pelLow))...)
	it := s.tx.Iter(CFSub, s.m.ID, lo, hi, false)
	defer it.Close()
	now := s.tx.Now()
	var n int64
	for ; it.Valid() && (count == 0 || n < count); it.Next() {
		k := it.Key()
		if len(k) < 16 {
			return n, ErrCorrupt
		}
		id := decodeID(k[len(k)-16:])
		fv, ok, err := s.Entry(id)
		if err != nil {
			return n, err
		}
		n++
		if !ok {
			fn(id, nil, false)
			continue
		}
		fn(id, fv, true)
		nk, found, err := g.getNACK(id)
		if err != nil {
			return n, err
		}
		if found {
			nk.time = now
			nk.count++
			g.putNACK(id, nk)
		}
	}
	return n, it.Err()
}

// Ack removes ids from the PEL (XACK) and returns how many were pending.
func (g *Group) Ack(ids []StreamID) (int64, error) {
	var n int64
	for _, id := range ids {
		nk, found, err := g.getNACK(id)
		if err != nil {
			return n, err
		}
		if !found {
			continue
		}
		if err := g.removeNACK(id, nk.consumer); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// PendingBounds returns the smallest and greatest pending ids.
func (g *Group) PendingBounds() (first, last StreamID, err error) {
	s := g.s
	s.Save()
	lo := append([]byte(nil), g.nackKey(g.pelLow)...)
	hi := binary.BigEndian.AppendUint64([]byte{pfxNACK}, g.gid+1)
	for i, rev := range []bool{false, true} {
		it := s.tx.Iter(CFSub, s.m.ID, lo, hi, rev)
		if it.Valid() {
			k := it.Key()
			if len(k) != 25 {
				it.Close()
				return first, last, ErrCorrupt
			}
			if i == 0 {
				first = decodeID(k[9:])
			} else {
				last = decodeID(k[9:])
			}
		}
		err = it.Err()
		it.Close()
		if err != nil {
			return
		}
	}
	return
}

// PendingRange calls fn for the pending entries with start <= id <= end,
// of consumer (nil: of every consumer), idle for at least minIdle ms,
// until count were passed or fn returns false.
func (g *Group) PendingRange(start, end StreamID, count, minIdle int64, consumer []byte, fn func(p *PendingEntry) bool) error {
	s := g.s
	s.Save()
	if count <= 0 || start.Cmp(end) > 0 {
		return nil
	}
	var lo, hi []byte
	if consumer != nil {
		c, _, err := g.Consumer(consumer, false)
		if err != nil || c == nil {
			return err
		}
		start = maxID(start, c.pelLow)
		if start.Cmp(end) > 0 {
			return nil
		}
		lo = append([]byte(nil), g.cpelKey(consumer, start)...)
		hi = append([]byte(nil), g.cpelKey(consumer, end)...)
	} else {
		if start = maxID(start, g.pelLow); start.Cmp(end) > 0 {
			return nil
		}
		lo = append([]byte(nil), g.nackKey(start)...)
		hi = append([]byte(nil), g.nackKey(end)...)
	}
	hi = append(hi, 0)
	it := s.tx.Iter(CFSub, s.m.ID, lo, hi, false)
	defer it.Close()
	now := s.tx.Now()
	var p PendingEntry
	for ; it.Valid() && count > 0; it.Next() {
		k := it.Key()
		if len(k) < 16 {
			return ErrCorrupt
		}
		p.ID = decodeID(k[len(k)-16:])
		var nk nack
		if consumer != nil {
			var found bool
			var err error
			nk, found, err = g.getNACK(p.ID)
			if err != nil {
				return err
			}
			if !found {
				return ErrCorrupt
			}
		} else {
			var ok bool
			if nk, ok = decodeNACK(it.Value()); !ok {
				return ErrCorrupt
			}
		}
		if minIdle != 0 && now-nk.time < minIdle {
			continue
		}
		count--
		p.Consumer, p.DeliveryTime, p.Deliveries = nk.consumer, nk.time, nk.count
		if !fn(&p) {
			break
		}
	}
	return it.Err()
}

// ClaimArgs are XCLAIM's options.
type ClaimArgs struct {
	MinIdle      int64
	DeliveryTime int64 // the new delivery time
	RetryCount   int64 // -1: increment (unless JustID)
	Force        bool
	JustID       bool
}

// Claim gives the pending entries ids idle for at least MinIdle ms to
// consumer name (XCLAIM). Entries gone from the stream leave the PEL.
// fn gets each claimed entry (fv nil with JustID). It returns how many
// were claimed.
func (g *Group) Claim(name []byte, ids []StreamID, a ClaimArgs, fn func(id StreamID, fv [][]byte)) (int64, error) {
	s := g.s
	now := s.tx.Now()
	var c *Consumer
	var claimed int64
	for _, id := range ids {
		nk, found, err := g.getNACK(id)
		if err != nil {
			return claimed, err
		}
		ok, err := s.entryExists(id)
		if err != nil {
			return claimed, err
		}
		if !ok {
			if found {
				if err := g.removeNACK(id, nk.consumer); err != nil {
					return claimed, err
				}
			}
			continue
		}
		var prev []byte
		if !found {
			if !a.Force {
				continue
			}
			nk = nack{time: now, count: 1}
			g.addPending(id)
		} else {
			prev = nk.consumer
			if a.MinIdle > 0 && now-nk.time < a.MinIdle {
				continue
			}
		}
		if c == nil {
			if c, _, err = g.Consumer(name, true); err != nil {
				return claimed, err
			}
			g.Touch(c)
		}
		if err := g.assign(id, prev, c); err != nil {
			return claimed, err
		}
		nk.time = a.DeliveryTime
		if a.RetryCount >= 0 {
			nk.count = uint64(a.RetryCount)
		} else if !a.JustID {
			nk.count++
		}
		nk.consumer = c.Name
		g.putNACK(id, nk)
		if a.JustID {
			fn(id, nil)
		} else {
			fv, _, err := s.Entry(id)
			if err != nil {
				return claimed, err
			}
			fn(id, fv)
		}
		claimed++
	}
	if c != nil {
		c.Active = now
		c.dirty = true
	}
	return claimed, nil
}

// AutoClaim scans the PEL from start and gives entries idle for at least
// minIdle ms to consumer name (XAUTOCLAIM), at most count of them after at
// most 10×count attempts. Entries gone from the stream leave the PEL and
// are returned in deleted. next is the id to continue from (0-0: done).
func (g *Group) AutoClaim(name []byte, minIdle int64, start StreamID, count int64, justID bool, fn func(id StreamID, fv [][]byte)) (next StreamID, deleted []StreamID, err error) {
	s := g.s
	s.Save()
	lo := append([]byte(nil), g.nackKey(maxID(start, g.pelLow))...)
	hi := binary.BigEndian.AppendUint64([]byte{pfxNACK}, g.gid+1)
	it := s.tx.Iter(CFSub, s.m.ID, lo, hi, false)
	defer it.Close()
	now := s.tx.Now()
	attempts := count * 10
	if count > math.MaxInt64/10 {
		attempts = math.MaxInt64
	}
	var c *Consumer
	advanced := false // the iterator is past the last entry examined
	for ; attempts > 0 && count > 0; attempts-- {
		if advanced {
			it.Next()
		}
		advanced = true
		if !it.Valid() {
			break
		}
		k := it.Key()
		if len(k) != 25 {
			return next, deleted, ErrCorrupt
		}
		id := decodeID(k[9:])
		nk, ok := decodeNACK(it.Value())
		if !ok {
			return next, deleted, ErrCorrupt
		}
		nk.consumer = append([]byte(nil), nk.consumer...)
		exists, err := s.entryExists(id)
		if err != nil {
			return next, deleted, err
		}
		if !exists {
			if err := g.removeNACK(id, nk.consumer); err != nil {
				return next, deleted, err
			}
			deleted = append(deleted, id)
			count--
			continue
		}
		if minIdle > 0 && now-nk.time < minIdle {
			continue
		}
		if c == nil {
			if c, _, err = g.Consumer(name, true); err != nil {
				return next, deleted, err
			}
			g.Touch(c)
		}
		if err := g.assign(id, nk.consumer, c); err != nil {
			return next, deleted, err
		}
		nk.time = now
		if !justID {
			nk.count++
		}
		nk.consumer = c.Name
		g.putNACK(id, nk)
		if justID {
			fn(id, nil)
		} else {
			fv, _, err := s.Entry(id)
			if err != nil {
				return next, deleted, err
			}
			fn(id, fv)
		}
		count--
	}
	if it.Valid() {
		if advanced {
			it.Next()
		}
		if it.Valid() {
			if k := it.Key(); len(k) == 25 {
				next = decodeID(k[9:])
			}
		}
	}
	if c != nil {
		c.Active = now
		c.dirty = true
	}
	return next, deleted, it.Err()
}

// PEL calls fn for the group's pending entries in id order, at most count
// (0: all).
func (g *Group) PEL(count int64, fn func(p *PendingEntry)) error {
	return g.PendingRange(StreamID{}, MaxStreamID, countOrAll(count), 0, nil, func(p *PendingEntry) bool {
		fn(p)
		return true
	})
}

// ConsumerPEL calls fn for consumer name's pending entries in id order, at
// most count (0: all).
func (g *Group) ConsumerPEL(name []byte, count int64, fn func(p *PendingEntry)) error {
	return g.PendingRange(StreamID{}, MaxStreamID, countOrAll(count), 0, name, func(p *PendingEntry) bool {
		fn(p)
		return true
	})
}

func countOrAll(n int64) int64 {
	if n <= 0 {
		return math.MaxInt64
	}
	return n
}
