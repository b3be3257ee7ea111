package store

import (
	"encoding/binary"
	"math"
	"strconv"
)

// Streams in DUMP payloads (RDB_TYPE_STREAM_LISTPACKS_2, as redis-server
// 7.0 writes them; RDB_TYPE_STREAM_LISTPACKS of 5.0-6.2 is read too):
//
//	nodes · (master id: 16-byte string · listpack string) × nodes
//	length · last-id (ms, seq)
//	v2: first-id (ms, seq) · max-deleted-id (ms, seq) · entries-added
//	groups · for each, in name order:
//	    name · last-delivered-id (ms, seq) · v2: entries-read (-1 as 2^64-1)
//	    PEL size · (id: 16 raw bytes · delivery time: 8 bytes LE ms · delivery count) × size
//	    consumers · for each, in name order:
//	        name · seen time: 8 bytes LE ms · PEL size · (id: 16 raw bytes) × size
//
// All numbers are RDB lengths unless noted; ids in raw bytes are two
// big-endian u64. A node's listpack holds a master entry (live count,
// deleted count, field count, the fields, 0) and then each entry: flags
// (1 deleted, 2 same fields as the master), ms and seq relative to the
// master id, [field count and fields with values | values only], and the
// entry's element count.

// Stream entry flags in node listpacks (t_stream.c).
const (
	streamFlagDeleted    = 1
	streamFlagSameFields = 2
)

// DumpStream is a stream in transit.
type DumpStream struct {
	IDs          []StreamID
	Entries      [][][]byte // field/value pairs of each entry
	Last         StreamID
	First        StreamID
	MaxDeleted   StreamID
	EntriesAdded uint64
	Groups       []DumpStreamGroup
}

// DumpStreamGroup is a consumer group in transit.
type DumpStreamGroup struct {
	Name        []byte
	Last        StreamID
	EntriesRead int64          // -1: unknown
	PEL         []PendingEntry // Consumer set from the consumers' lists when decoding
	Consumers   []DumpStreamConsumer
}

// DumpStreamConsumer is a consumer in transit.
type DumpStreamConsumer struct {
	Name []byte
	Seen int64
	PEL  []StreamID
}

func appendRawID(dst []byte, id StreamID) []byte {
	dst = binary.BigEndian.AppendUint64(dst, id.Ms)
	return binary.BigEndian.AppendUint64(dst, id.Seq)
}

// encodeStream appends the body of an RDB_TYPE_STREAM_LISTPACKS_2 value,
// cutting nodes where redis-server's XADD would (stream-node-max-bytes and
// -entries, counted as streamAppendItem counts them).
func encodeStream(out []byte, ds *DumpStream, lim *DumpLimits) []byte {
	type node struct {
		master StreamID
		lp     []byte
	}
	var nodes []node
	maxBytes := lim.StreamNodeMaxBytes
	if maxBytes <= 0 || maxBytes > streamListpackMaxSize {
		maxBytes = streamListpackMaxSize
	}
	var (
		elems        [][]byte // the node's elements after the live count
		size         int      // listpack bytes without the live count
		master       StreamID
		masterFields [][]byte
		live         int
	)
	itoa := func(v int64) []byte { return strconv.AppendInt(nil, v, 10) }
	add := func(b []byte) {
		elems = append(elems, b)
		size += lpEntrySize(b)
	}
	flush := func() {
		if elems == nil {
			return
		}
		lp := newListpack()
		lp.add(itoa(int64(live)))
		for _, e := range elems {
			lp.add(e)
		}
		nodes = append(nodes, node{master, lp.bytes()})
		elems = nil
	}
	for i, id := range ds.IDs {
		fv := ds.Entries[i]
		total := 0
		for _, b := range fv {
			total += len(b)
		}
		if elems != nil && (size+lpEntrySize(itoa(int64(live)))+total >= maxBytes ||
			(lim.StreamNodeMaxEntries > 0 && live >= lim.StreamNodeMaxEntries)) {
			flush()
		}
		if elems == nil {
			master, live, size = id, 0, 7 // header and end byte
			elems = [][]byte{}
			masterFields = masterFields[:0]
			add(itoa(0)) // deleted
			add(itoa(int64(len(fv) / 2)))
			for j := 0; j < len(fv); j += 2 {
				add(fv[j])
				masterFields = append(masterFields, fv[j])
			}
			add(itoa(0)) // the master entry's terminator
		}
		same := len(fv)/2 == len(masterFields)
		for j := 0; same && j < len(fv); j += 2 {
			same = string(fv[j]) == string(masterFields[j/2])
		}
		n := len(fv) / 2
		if same {
			add(itoa(streamFlagSameFields))
		} else {
			add(itoa(0))
		}
		add(itoa(int64(id.Ms - master.Ms)))
		add(itoa(int64(id.Seq - master.Seq)))
		if !same {
			add(itoa(int64(n)))
		}
		for j := 0; j < len(fv); j += 2 {
			if !same {
				add(fv[j])
			}
			add(fv[j+1])
		}
		count := n + 3
		if !same {
			count += n + 1
		}
		add(itoa(int64(count)))
		live++
	}
	flush()

	out = appendRDBLen(out, uint64(len(nodes)))
	for _, n := range nodes {
		out = appendRDBString(out, appendRawID(nil, n.master))
		out = appendRDBString(out, n.lp)
	}
	out = appendRDBLen(out, uint64(len(ds.IDs)))
	out = appendRDBLen(out, ds.Last.Ms)
	out = appendRDBLen(out, ds.Last.Seq)
	out = appendRDBLen(out, ds.First.Ms)
	out = appendRDBLen(out, ds.First.Seq)
	out = appendRDBLen(out, ds.MaxDeleted.Ms)
	out = appendRDBLen(out, ds.MaxDeleted.Seq)
	out = appendRDBLen(out, ds.EntriesAdded)
	out = appendRDBLen(out, uint64(len(ds.Groups)))
	for i := range ds.Groups {
		g := &ds.Groups[i]
		out = appendRDBString(out, g.Name)
		out = appendRDBLen(out, g.Last.Ms)
		out = appendRDBLen(out, g.Last.Seq)
		out = appendRDBLen(out, uint64(g.EntriesRead))
		out = appendRDBLen(out, uint64(len(g.PEL)))
		for _, p := range g.PEL {
			out = appendRawID(out, p.ID)
			out = binary.LittleEndian.AppendUint64(out, uint64(p.DeliveryTime))
			out = appendRDBLen(out, p.Deliveries)
		}
		out = appendRDBLen(out, uint64(len(g.Consumers)))
		for _, c := range g.Consumers {
			out = appendRDBString(out, c.Name)
			out = binary.LittleEndian.AppendUint64(out, uint64(c.Seen))
			out = appendRDBLen(out, uint64(len(c.PEL)))
			for _, id := range c.PEL {
				out = appendRawID(out, id)
			}
		}
	}
	return out
}

func (r *rdbReader) rawID() StreamID {
	b := r.take(16)
	if b == nil {
		return StreamID{}
	}
	return StreamID{binary.BigEndian.Uint64(b), binary.BigEndian.Uint64(b[8:])}
}

func (r *rdbReader) lenID() StreamID {
	ms, e1 := r.length()
	seq, e2 := r.length()
	if e1 || e2 {
		r.fail()
	}
	return StreamID{ms, seq}
}

func (r *rdbReader) millis() int64 {
	b := r.take(8)
	if b == nil {
		return 0
	}
	return int64(binary.LittleEndian.Uint64(b))
}

// stream decodes a stream value (v2: RDB_TYPE_STREAM_LISTPACKS_2).
func (r *rdbReader) stream(v2 bool) *DumpStream {
	ds := &DumpStream{}
	nodes := r.count(2)
	for i := uint64(0); i < nodes && !r.bad; i++ {
		key := r.string()
		lp := r.string()
		if r.bad || len(key) != 16 {
			r.fail()
			return nil
		}
		master := StreamID{binary.BigEndian.Uint64(key), binary.BigEndian.Uint64(key[8:])}
		if !streamNodeEntries(ds, master, parseListpack(r, lp)) {
			r.fail()
			return nil
		}
	}
	length, enc := r.length()
	if enc || length != uint64(len(ds.IDs)) {
		r.fail()
		return nil
	}
	ds.Last = r.lenID()
	if n := len(ds.IDs); n > 0 && ds.Last.Cmp(ds.IDs[n-1]) < 0 {
		r.fail()
		return nil
	}
	if v2 {
		ds.First = r.lenID()
		ds.MaxDeleted = r.lenID()
		ds.EntriesAdded, _ = r.length()
	} else {
		if len(ds.IDs) > 0 {
			ds.First = ds.IDs[0]
		}
		ds.EntriesAdded = uint64(len(ds.IDs))
	}
	ngroups := r.count(1)
	seen := map[string]bool{}
	for i := uint64(0); i < ngroups && !r.bad; i++ {
		g := DumpStreamGroup{Name: r.string(), EntriesRead: -1}
		g.Last = r.lenID()
		if v2 {
			n, _ := r.length()
			g.EntriesRead = int64(n)
		}
		if seen[string(g.Name)] {
			r.fail()
			return nil
		}
		seen[string(g.Name)] = true
		npel := r.count(17)
		pel := make(map[StreamID]int, npel)
		for j := uint64(0); j < npel && !r.bad; j++ {
			p := PendingEntry{ID: r.rawID(), DeliveryTime: r.millis()}
			p.Deliveries, _ = r.length()
			if _, dup := pel[p.ID]; dup {
				r.fail()
				return nil
			}
			pel[p.ID] = len(g.PEL)
			g.PEL = append(g.PEL, p)
		}
		ncons := r.count(10)
		cseen := map[string]bool{}
		for j := uint64(0); j < ncons && !r.bad; j++ {
			c := DumpStreamConsumer{Name: r.string(), Seen: r.millis()}
			if cseen[string(c.Name)] {
				r.fail()
				return nil
			}
			cseen[string(c.Name)] = true
			n := r.count(16)
			for k := uint64(0); k < n && !r.bad; k++ {
				id := r.rawID()
				at, ok := pel[id]
				if !ok || g.PEL[at].Consumer != nil {
					r.fail() // not pending in the group, or owned twice
					return nil
				}
				g.PEL[at].Consumer = c.Name
				c.PEL = append(c.PEL, id)
			}
			g.Consumers = append(g.Consumers, c)
		}
		for _, p := range g.PEL {
			if p.Consumer == nil {
				r.fail() // a pending entry nobody owns
				return nil
			}
		}
		ds.Groups = append(ds.Groups, g)
	}
	if r.bad {
		return nil
	}
	return ds
}

// streamNodeEntries appends the live entries of a node listpack (its
// elements in lp) to ds. It reports false for a malformed node.
func streamNodeEntries(ds *DumpStream, master StreamID, lp [][]byte) bool {
	if len(lp) == 0 {
		return false // Redis never writes an empty node
	}
	p := 0
	next := func() (int64, bool) {
		if p >= len(lp) {
			return 0, false
		}
		v, err := strconv.ParseInt(string(lp[p]), 10, 64)
		p++
		return v, err == nil
	}
	live, ok1 := next()
	deleted, ok2 := next()
	nf, ok3 := next()
	if !ok1 || !ok2 || !ok3 || live < 0 || deleted < 0 || nf < 0 || int64(len(lp)-p) < nf+1 {
		return false
	}
	fields := lp[p : p+int(nf)]
	p += int(nf)
	if z, ok := next(); !ok || z != 0 {
		return false
	}
	var nlive, ndel int64
	for p < len(lp) {
		flags, ok1 := next()
		dms, ok2 := next()
		dseq, ok3 := next()
		if !ok1 || !ok2 || !ok3 {
			return false
		}
		n := nf
		if flags&streamFlagSameFields == 0 {
			var ok bool
			if n, ok = next(); !ok || n < 0 {
				return false
			}
		}
		var fv [][]byte
		if flags&streamFlagSameFields != 0 {
			if int64(len(lp)-p) < n {
				return false
			}
			for j := int64(0); j < n; j++ {
				fv = append(fv, fields[j], lp[p])
				p++
			}
		} else {
			if int64(len(lp)-p) < 2*n {
				return false
			}
			fv = append(fv, lp[p:p+int(2*n)]...)
			p += int(2 * n)
		}
		if _, ok := next(); !ok { // the entry's element count
			return false
		}
		if flags&streamFlagDeleted != 0 {
			ndel++
			continue
		}
		nlive++
		id := StreamID{master.Ms + uint64(dms), master.Seq + uint64(dseq)}
		if k := len(ds.IDs); id.IsZero() || (k > 0 && id.Cmp(ds.IDs[k-1]) <= 0) {
			return false // ids must increase from above 0-0
		}
		ds.IDs = append(ds.IDs, id)
		ds.Entries = append(ds.Entries, fv)
	}
	return nlive == live && ndel == deleted
}

// dumpStream reads the stream at key for DUMP.
func (tx *Tx) dumpStream(db int, key []byte) (*DumpStream, error) {
	s, err := tx.OpenStream(db, key)
	if err != nil || s == nil {
		return nil, err
	}
	ds := &DumpStream{Last: s.LastID(), First: s.FirstID(), MaxDeleted: s.MaxDeletedID(), EntriesAdded: s.EntriesAdded()}
	var a arena
	var counts []int
	if _, err := s.Range(StreamID{}, MaxStreamID, 0, false, func(id StreamID, fv [][]byte) bool {
		ds.IDs = append(ds.IDs, id)
		for _, b := range fv {
			a.add(b)
		}
		counts = append(counts, len(fv))
		return true
	}); err != nil {
		return nil, err
	}
	all := a.slices()
	for _, n := range counts {
		ds.Entries = append(ds.Entries, all[:n:n])
		all = all[n:]
	}
	var groups []*Group
	if err := s.Groups(func(g *Group) bool { groups = append(groups, g); return true }); err != nil {
		return nil, err
	}
	for _, g := range groups {
		dg := DumpStreamGroup{Name: g.Name, Last: g.Last, EntriesRead: g.EntriesRead}
		if err := g.PEL(0, func(p *PendingEntry) {
			dg.PEL = append(dg.PEL, PendingEntry{ID: p.ID, DeliveryTime: p.DeliveryTime, Deliveries: p.Deliveries})
		}); err != nil {
			return nil, err
		}
		var cons []*Consumer
		if err := g.Consumers(func(c *Consumer) bool { cons = append(cons, c); return true }); err != nil {
			return nil, err
		}
		for _, c := range cons {
			dc := DumpStreamConsumer{Name: c.Name, Seen: c.Seen}
			if err := g.ConsumerPEL(c.Name, 0, func(p *PendingEntry) { dc.PEL = append(dc.PEL, p.ID) }); err != nil {
				return nil, err
			}
			dg.Consumers = append(dg.Consumers, dc)
		}
		ds.Groups = append(ds.Groups, dg)
	}
	return ds, nil
}

// restoreStream creates the stream key (absent) from ds.
func (tx *Tx) restoreStream(db int, key []byte, ds *DumpStream, lim *DumpLimits) error {
	s, err := tx.CreateStream(db, key)
	if err != nil {
		return err
	}
	if lim != nil {
		s.NodeMaxBytes, s.NodeMaxEntries = int64(lim.StreamNodeMaxBytes), int64(lim.StreamNodeMaxEntries)
	}
	for i, id := range ds.IDs {
		if _, err := s.Append(ds.Entries[i], id, true, true); err != nil {
			return ErrBadDataFormat
		}
	}
	added := ds.EntriesAdded
	if added > math.MaxInt64 {
		added = math.MaxInt64
	}
	s.SetLastID(ds.Last, int64(added), ds.MaxDeleted)
	if len(ds.IDs) == 0 {
		s.t.first = ds.First
	}
	for i := range ds.Groups {
		dg := &ds.Groups[i]
		if ok, err := s.CreateGroup(dg.Name, dg.Last, dg.EntriesRead); err != nil || !ok {
			if err == nil {
				err = ErrBadDataFormat
			}
			return err
		}
		g, err := s.Group(dg.Name)
		if err != nil || g == nil {
			return ErrBadDataFormat
		}
		pel := make(map[StreamID]*PendingEntry, len(dg.PEL))
		for j := range dg.PEL {
			pel[dg.PEL[j].ID] = &dg.PEL[j]
		}
		for _, dc := range dg.Consumers {
			c, _, err := g.Consumer(dc.Name, true)
			if err != nil {
				return err
			}
			c.Seen, c.Active, c.dirty = dc.Seen, dc.Seen, true
			for _, id := range dc.PEL {
				p := pel[id]
				g.putNACK(id, nack{time: p.DeliveryTime, count: p.Deliveries, consumer: c.Name})
				if err := g.assign(id, nil, c); err != nil {
					return err
				}
				g.addPending(id)
			}
		}
	}
	s.Save()
	return nil
}
