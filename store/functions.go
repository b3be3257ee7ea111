package store

import (
	"fmt"

	"github.com/linxGnu/grocksdb"
)

// Function libraries (FUNCTION LOAD) persist in the sys column family, one
// record per library:
//
//	sys   'f' · library name   →   library code
//
// They are written outside the executor's group commit, in one synced
// WriteBatch per change, so FUNCTION LOAD replies only once the library is
// durable. FLUSHALL and FLUSHDB leave them alone, as Redis does.

const funcLibPrefix = 'f'

// FunctionLib is one stored library: its name and its source code.
type FunctionLib struct {
	Name string
	Code []byte
}

// FunctionLibs returns every stored library, in name order.
func (e *Engine) FunctionLibs() ([]FunctionLib, error) {
	it := e.newIter(CFSys, []byte{funcLibPrefix}, []byte{funcLibPrefix + 1})
	defer it.Close()
	var out []FunctionLib
	for it.SeekToFirst(); it.Valid(); it.Next() {
		k, v := it.Key(), it.Value()
		out = append(out, FunctionLib{
			Name: string(k.Data()[1:]),
			Code: append([]byte(nil), v.Data()...),
		})
		k.Free()
		v.Free()
	}
	if err := it.Err(); err != nil {
		return nil, fmt.Errorf("store: read function libraries: %w", err)
	}
	return out, nil
}

// SaveFunctionLibs changes the stored libraries atomically and durably:
// with flush every library goes first, then the libraries named in del are
// deleted and those in put written (replacing any of the same name).
func (e *Engine) SaveFunctionLibs(flush bool, del []string, put []FunctionLib) error {
	wb := grocksdb.NewWriteBatch()
	defer wb.Destroy()
	cf := e.cfs[CFSys]
	if flush {
		wb.DeleteRangeCF(cf, []byte{funcLibPrefix}, []byte{funcLibPrefix + 1})
	}
	for _, name := range del {
		wb.DeleteCF(cf, funcLibKey(name))
	}
	for _, l := range put {
		wb.PutCF(cf, funcLibKey(l.Name), l.Code)
	}
	if err := e.db.Write(e.woSyn, wb); err != nil {
		return fmt.Errorf("ERR write to storage failed: %v", err)
	}
	return nil
}

func funcLibKey(name string) []byte {
	return append([]byte{funcLibPrefix}, name...)
}
