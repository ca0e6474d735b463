package vergeos

import (
	"math"
)

// Labels of the independent random streams drawn per hour or per record.
const (
	labelCreated uint64 = iota + 1
	labelSent
	labelDatapoints
	labelCPU
	labelRAM
	labelGPU
	labelVGPU
	labelMaintenance
	labelStorage
	labelMachines
)

// hash is a stateless random draw for (label, n): a splitmix64 finaliser
// over the world's seed, so any record can be computed on its own.
func (g *generator) hash(label uint64, n int64) uint64 {
	x := g.seed ^ (label * 0x9e3779b97f4a7c15) ^ (uint64(n) * 0xbf58476d1ce4e5b9)
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// noise returns a value in [-amp, amp) for the hour containing t.
func (g *generator) noise(label uint64, t, amp float64) float64 {
	u := float64(g.hash(label, int64(math.Floor(t/hour)))>>11) / (1 << 53)
	return (2*u - 1) * amp
}

// daily is 1 at 14:00 UTC and 0 at 02:00, following the working day.
func daily(t float64, lagHours float64) float64 {
	h := math.Mod(t/hour, 24)
	return 0.5 * (1 + math.Cos(2*math.Pi*(h-14-lagHours)/24))
}

// weekly is 1 on weekdays and lower at the weekend (1970-01-01 was a Thursday).
func weekly(t float64) float64 {
	switch int64(math.Floor(t/86400)+4) % 7 {
	case 0, 6:
		return 0.45
	}
	return 1
}

func clamp(x, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, x)) }

// usage returns the simulated system's usage at time t (Unix seconds):
// CPU, RAM and GPU use follow daily and weekly cycles with hourly noise
// and a slow upward trend; storage grows steadily. Identity and time
// columns are left zero.
func (g *generator) usage(t int64) record {
	var r record
	c := &g.cluster
	ft := float64(t)
	years := (ft - float64(g.start)) / (365 * 86400)
	trend := clamp(years*0.4, 0, 0.15) // workloads grow for a while, then level off
	wk := weekly(ft)

	online := c.nodes
	if c.nodes > 2 && g.hash(labelMaintenance, t/hour)%150 == 0 {
		online-- // a node is in maintenance this hour
	}
	r.v[fTotalNodes], r.v[fOnlineNodes] = c.nodes, online
	r.v[fTotalCores], r.v[fOnlineCores] = c.nodes*c.coresPerNode, online*c.coresPerNode
	r.v[fTotalRAM], r.v[fOnlineRAM] = c.nodes*c.ramPerNodeMB, online*c.ramPerNodeMB

	cpu := clamp(0.18+0.42*daily(ft, 0)*wk+trend+g.noise(labelCPU, ft, 0.06), 0.02, 0.97)
	r.v[fUsedCores] = int64(math.Round(cpu * float64(r.v[fOnlineCores])))
	r.v[fPhysTotalCPU] = int64(math.Round(100 * clamp(cpu*0.75+g.noise(labelCPU+100, ft, 0.05), 0.01, 1)))
	r.v[fRunningMachines] = max(1, int64(math.Round(float64(r.v[fUsedCores])/4+g.noise(labelMachines, ft, 3))))

	ram := clamp(0.40+0.22*daily(ft, 2)*wk+trend+g.noise(labelRAM, ft, 0.03), 0.05, 0.95)
	r.v[fUsedRAM] = int64(math.Round(ram * float64(r.v[fOnlineRAM])))
	r.v[fPhysRAMUsed] = int64(float64(r.v[fUsedRAM]) * (1 << 20) * 1.04)

	gpu := clamp(0.20+0.60*daily(ft, -1)*wk+g.noise(labelGPU, ft, 0.2), 0, 1)
	vgpu := clamp(0.30+0.45*daily(ft, 1)*wk+g.noise(labelVGPU, ft, 0.15), 0, 1)
	r.v[fGPUsTotal], r.v[fVGPUsTotal] = c.gpus, c.vgpus
	r.v[fGPUs] = int64(math.Round(gpu * float64(c.gpus)))
	r.v[fVGPUs] = int64(math.Round(vgpu * float64(c.vgpus)))
	r.v[fGPUsIdle], r.v[fVGPUsIdle] = c.gpus-r.v[fGPUs], c.vgpus-r.v[fVGPUs]
	r.v[fPhysVRAMUsed] = int64(float64(r.v[fGPUs])*0.8*24*(1<<30)) + r.v[fVGPUs]*4*(1<<30)

	g.storage(&r, ft, years)
	return r
}

// storage fills the tiers: used grows linearly from the cluster's starting
// use with a little daily churn; capacity doubles whenever use would pass
// 85%, as an operator would expand it.
func (g *generator) storage(r *record, ft, years float64) {
	c := &g.cluster
	churn := g.noise(labelStorage, ft, 0.002)
	for i := range numTiers {
		if c.capacity[i] == 0 {
			continue
		}
		used := float64(c.used[i]) * (1 + c.growth[i]*math.Max(years, 0) + churn)
		capacity := c.capacity[i]
		for used > 0.85*float64(capacity) {
			capacity *= 2
		}
		r.v[tierUsed(i)], r.v[tierTotal(i)] = int64(used), capacity
	}
}
