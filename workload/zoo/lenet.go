package zoo

import "github.com/nnergy/nnergy/workload"

// LeNet5 returns LeNet-5 (LeCun et al., 1998) on its classic 32×32
// single-channel input: C1 6@5×5, S2 2×2 pooling, C3 16@5×5, S4 2×2 pooling,
// C5 120@5×5 (a convolution that reduces the 5×5 map to 1×1), F6 84 and a
// 10-way output layer.
//
// C3 is fully connected across its 6 input maps (2,400 weights), as in
// every modern implementation; the paper's sparse connection table (each C3
// map reads 3, 4 or 6 of the 6 maps, 1,500 weights) is not a single loop
// nest. The output layer is a fully connected layer in place of the paper's
// Euclidean RBF units, which have the same shape (84×10).
func LeNet5() *workload.Network {
	b, x := newBuilder("lenet5", 1, 32, 32)
	x = b.conv("c1", x, 6, 5, 1, 0)
	x = b.pool(x, 2, 2, 0, false) // S2
	x = b.conv("c3", x, 16, 5, 1, 0)
	x = b.pool(x, 2, 2, 0, false) // S4
	x = b.conv("c5", x, 120, 5, 1, 0)
	x = b.fc("f6", x, 84)
	b.fc("output", x, 10)
	return must(b.done())
}
