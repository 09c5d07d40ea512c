package gemm

// Add2D adds the rows×cols matrix src (row stride lds) into dst (row stride
// ldd): dst[i·ldd+j] += src[i·lds+j]. It is the scatter of im2col's adjoint
// for unit-stride convolutions.
func Add2D(dst []float32, ldd int, src []float32, lds int, rows, cols int) {
	if rows <= 0 || cols <= 0 {
		return
	}
	_ = dst[(rows-1)*ldd+cols-1]
	_ = src[(rows-1)*lds+cols-1]
	if hasAVX2 {
		add2d(dst, ldd, src, lds, rows, cols)
		return
	}
	add2dGo(dst, ldd, src, lds, rows, cols)
}

func add2dGo(dst []float32, ldd int, src []float32, lds int, rows, cols int) {
	for i := 0; i < rows; i++ {
		d := dst[i*ldd : i*ldd+cols]
		for j, v := range src[i*lds : i*lds+cols] {
			d[j] += v
		}
	}
}
