package billing

import "time"

// Bucket is the width of a chart point.
type Bucket string

// Buckets, from fine to coarse. Weeks start on Monday, months on the 1st, UTC.
const (
	BucketHour  Bucket = "hour"
	BucketDay   Bucket = "day"
	BucketWeek  Bucket = "week"
	BucketMonth Bucket = "month"
)

// BucketFor picks the bucket that keeps a chart of the range to at most
// about two hundred points: hours up to 8 days, days up to 200 days, weeks
// up to 4 years, months beyond.
func BucketFor(from, to time.Time) Bucket {
	switch span := to.Sub(from); {
	case span <= 8*24*time.Hour:
		return BucketHour
	case span <= 200*24*time.Hour:
		return BucketDay
	case span <= 4*365*24*time.Hour:
		return BucketWeek
	}
	return BucketMonth
}

// Width returns the bucket's nominal length (a month counts 30 days).
func (b Bucket) Width() time.Duration {
	switch b {
	case BucketHour:
		return time.Hour
	case BucketDay:
		return 24 * time.Hour
	case BucketWeek:
		return 7 * 24 * time.Hour
	}
	return 30 * 24 * time.Hour
}

// Point is one chart point: the means of the records of a bucket.
type Point struct {
	Start   time.Time
	Records int64
	// Mean per-record utilisation in percent.
	CPU, RAM, GPU, VGPU, Storage float64
	// PeakCPU is the largest per-record CPU utilisation of the bucket.
	PeakCPU float64
	// StorageUsed and StorageTotal are the mean bytes over all tiers.
	StorageUsed, StorageTotal float64
}
