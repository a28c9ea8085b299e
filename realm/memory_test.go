package realm

import (
	"runtime"
	"testing"
	"unsafe"

	"github.com/wampd/wampd/codec"
)

// TestIdleSessionMemory measures what a joined, idle session costs the
// realm (the Session and its tables): part of target 4's 4 KiB per session.
func TestIdleSessionMemory(t *testing.T) {
	const n = 10000
	r := benchRealm()
	sessions := make([]*Session, n)
	heap := func() int64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return int64(ms.HeapAlloc)
	}
	h0 := heap()
	for i := range sessions {
		sessions[i] = benchJoin(r, uint64(i+1), codec.MsgPack, nil)
	}
	per := (heap() - h0) / n
	t.Logf("realm heap per idle session: %d B (Session struct %d B)", per, unsafe.Sizeof(Session{}))
	if per > 1024 {
		t.Errorf("realm heap per idle session = %d B, want <= 1024", per)
	}
	runtime.KeepAlive(sessions)
}
