// Package zoo holds built-in networks with their exact published shapes.
//
// Each constructor returns a fresh *workload.Network at batch 1 (use
// Network.WithBatch for more), 16-bit words and density 1. Only layers with
// MACs in a loop nest are layers: convolutions (including depthwise and
// pointwise), fully connected layers, GEMMs and batched matmuls. Pooling,
// activations, normalization, residual adds and concatenation are not
// layers, but they set the shapes, and they decide the graph edges: a
// layer's From lists every layer whose output reaches its input through such
// operations. A layer after a residual add reads from the producers of both
// operands (so in a chain of identity shortcuts, from every block since the
// last downsample); a layer after a concatenation reads from all producers.
// A layer fed by the network input has an empty From.
//
// # Models and layer names
//
// Layer names follow each model's reference implementation:
//
//	lenet5             c1, c3, c5, f6, output (the paper's names; c5 is a 5×5
//	                   convolution over a 5×5 map)
//	alexnet            conv1 … conv5, fc6, fc7, fc8
//	vgg16              conv1_1, conv1_2, conv2_1, conv2_2, conv3_1 … conv3_3,
//	                   conv4_1 … conv4_3, conv5_1 … conv5_3, fc6, fc7, fc8
//	resnet18           conv1, layerS.B.conv1, layerS.B.conv2 (S = 1…4, B = 0, 1),
//	                   layerS.0.downsample.0 (S = 2…4), fc (torchvision)
//	resnet50           conv1, layerS.B.conv1 … conv3 (B = 0…2, 0…3, 0…5, 0…2),
//	                   layerS.0.downsample.0 (S = 1…4), fc (torchvision)
//	mobilenet,         conv2d_0, conv2d_K_depthwise, conv2d_K_pointwise
//	mobilenet-0.5-128  (K = 1…13), logits (TensorFlow-Slim, lower case)
//	mobilenetv2        conv, expanded_conv/depthwise, expanded_conv/project,
//	                   expanded_conv_K/expand, expanded_conv_K/depthwise,
//	                   expanded_conv_K/project (K = 1…16), conv_1, logits
//	                   (TensorFlow-Slim, lower case)
//	squeezenet         conv1, fireK/squeeze1x1, fireK/expand1x1,
//	                   fireK/expand3x3 (K = 2…9), conv10 (Caffe)
//	googlenet          conv1/7x7_s2, conv2/3x3_reduce, conv2/3x3, then for each
//	                   of inception_3a, 3b, 4a … 4e, 5a, 5b: /1x1, /3x3_reduce,
//	                   /3x3, /5x5_reduce, /5x5, /pool_proj; loss3/classifier
//	                   (Caffe)
//	bert-base-block    attention.self.query, .key, .value, attention.self.scores,
//	                   attention.self.context, attention.output.dense,
//	                   intermediate.dense, output.dense (Hugging Face)
//
// The classifier of every CNN is an FC layer (MobileNet's reference code
// writes it as a 1×1 convolution; the loop nest is the same).
//
// # Published totals
//
// The tests check these (weights count the Weights operand, without
// biases; see Network.Params):
//
//	alexnet      CONV 665,784,864 MACs (666 M) and 2,332,704 weights (2.3 M)
//	vgg16        CONV 15,346,630,656 MACs (15.3 G) and 14,710,464 weights (14.7 M)
//	resnet18     1,814,073,344 MACs (1.8 G); 11,689,512 parameters with BN and bias
//	resnet50     4,089,184,256 MACs (4.1 G); 25,557,032 parameters with BN and bias
//	mobilenet    568,740,352 MACs (569 M) and 4,209,088 weights (4.2 M)
//	mobilenet-0.5-128  49,160,192 MACs (49 M) and 1,319,648 weights (1.3 M)
//	mobilenetv2  300,774,272 MACs (300 M); 3,504,872 parameters with BN and bias
//	squeezenet   1,248,424 parameters with biases (Table 1 of the paper)
//	googlenet    per-module MACs of Table 1 of the paper
//	bert-base-block  7,274,496 MACs per token (12·768² + 2·128·768) and
//	             7,077,888 weights
package zoo
