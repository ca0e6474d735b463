package cache

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"
)

// TestPrepared_ManyReadsAtOnceNeverWaitForEachOther runs many more reads
// at once than the reader pool has connections, each preparing a query
// of its own while it holds its connection: preparing must never wait
// for a connection that another waiting read holds.
func TestPrepared_ManyReadsAtOnceNeverWaitForEachOther(t *testing.T) {
	db, _ := MustOpen(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := one(ctx, db, "SELECT "+strconv.Itoa(i)+" + ?", []any{1}, scanValue[int])
			if err == nil && n != i+1 {
				t.Errorf("read %d got %d", i, n)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("a read failed (stuck until the deadline?): %v", err)
		}
	}
}
