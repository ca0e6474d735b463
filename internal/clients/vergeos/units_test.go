package vergeos

import (
	"math"
	"testing"
	"time"
)

func TestUnits(t *testing.T) {
	cases := []struct {
		name      string
		got, want float64
	}{
		{"65536 MB in GiB", MBToGiB(65536), 64},
		{"1536 MB in GiB", MBToGiB(1536), 1.5},
		{"100 GiB of bytes", BytesToGiB(107374182400), 100},
		{"1 TiB of bytes", BytesToTiB(1099511627776), 1},
		{"2.5 TiB of bytes", BytesToTiB(2748779069440), 2.5},
		{"percent", Percent(1, 8), 12.5},
		{"percent of nothing", Percent(5, 0), 0},
	}
	r := sampleRecord
	cases = append(cases, []struct {
		name      string
		got, want float64
	}{
		{"used RAM GiB", r.UsedRAMGiB(), 64},
		{"total RAM GiB", r.TotalRAMGiB(), 128},
		{"online RAM GiB", r.OnlineRAMGiB(), 128},
		{"phys RAM GiB", r.PhysRAMUsedGiB(), 64},
		{"phys VRAM GiB", r.PhysVRAMUsedGiB(), 16},
		{"CPU %", r.CPUUtilization(), 50},
		{"RAM %", r.RAMUtilization(), 50},
		{"GPU %", r.GPUUtilization(), 50},
		{"vGPU %", r.VGPUUtilization(), 50},
		// 100 GiB + 500 GiB used of 1 TiB + 2 TiB.
		{"storage used GiB", r.TotalStorageUsedGiB(), 600},
		{"storage total GiB", r.TotalStorageTotalGiB(), 3072},
		{"storage %", r.StorageUtilization(), 600.0 / 3072 * 100},
		{"tier 0 %", r.TierUtilization(0), 100.0 / 1024 * 100},
		{"tier 1 %", r.TierUtilization(1), 500.0 / 2048 * 100},
		{"tier 2 % (no capacity)", r.TierUtilization(2), 0},
		{"tier 9 % (no such tier)", r.TierUtilization(9), 0},
		{"hours", r.Hours(), 1},
	}...)
	for _, c := range cases {
		if math.Abs(c.got-c.want) > 1e-12 {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if r.TotalStorageUsed() != 644245094400 || r.TotalStorageTotal() != 3298534883328 {
		t.Errorf("storage bytes %d / %d", r.TotalStorageUsed(), r.TotalStorageTotal())
	}
	if r.Period() != time.Hour || (&BillingRecord{From: 10, To: 5}).Period() != 0 {
		t.Errorf("period %v", r.Period())
	}
	if !r.CreatedAt().Equal(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)) || r.FromAt().Hour() != 23 || r.ToAt() != r.CreatedAt() {
		t.Errorf("times %v %v %v", r.CreatedAt(), r.FromAt(), r.ToAt())
	}
}
