package store

// Strings: the value lives in the metadata record, so GET is one read.

// GetString returns the value of a string key. ErrWrongType for other types.
func (tx *Tx) GetString(db int, key []byte) ([]byte, bool, error) {
	m, ok, err := tx.LookupType(db, key, TypeString)
	if err != nil || !ok {
		return nil, false, err
	}
	return m.Body, true, nil
}

// SetString makes key a string holding val with expiry expire (unix ms, 0
// none), replacing any value of any type. old is the key's live metadata
// from Lookup, nil if absent.
func (tx *Tx) SetString(db int, key, val []byte, expire int64, old *Meta) {
	tx.SetValue(db, key, TypeString, val, expire, old)
}

// SetValue writes an inline-valued key (string, JSON) of type t.
func (tx *Tx) SetValue(db int, key []byte, t Type, val []byte, expire int64, old *Meta) {
	m := Meta{Type: t, Expire: expire, Body: val}
	if old != nil && isCollection(old.Type) {
		tx.DeleteKey(db, key, old)
		old = nil
	}
	tx.PutMeta(db, key, &m, old)
}
