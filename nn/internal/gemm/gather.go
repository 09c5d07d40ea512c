package gemm

// Gather16 writes, for each i < len(rows), the 16 values
// src[rows[i]+cols[j]] (j = 0..15) to dst[16·i : 16·i+16]: one packed panel
// row per i. It is the inner loop of packing implicit im2col matrices. All
// indices must lie inside src; the caller guarantees it (the assembly
// version does not check).
//
// Only the first n columns are gathered (n <= 16); the others are set to
// zero, as the packed layout pads partial panels.
func Gather16(dst, src []float32, rows []int32, cols *[16]int32, n int) {
	if len(rows) == 0 {
		return
	}
	_ = dst[16*len(rows)-1]
	if hasAVX2 {
		gather16(dst, src, rows, cols, &laneMasks[n])
		return
	}
	gather16Go(dst, src, rows, cols, n)
}

// laneMasks[n] has its first n lanes set: the gather mask for n columns.
var laneMasks = func() (m [17][16]int32) {
	for n := range m {
		for j := 0; j < n; j++ {
			m[n][j] = -1
		}
	}
	return m
}()

func gather16Go(dst, src []float32, rows []int32, cols *[16]int32, n int) {
	for i, r := range rows {
		s := src[r:]
		d := (*[16]float32)(dst[16*i:])
		for j, c := range cols[:n] {
			d[j] = s[c]
		}
		clear(d[n:])
	}
}
