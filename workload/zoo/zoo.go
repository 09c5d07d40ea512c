package zoo

import (
	"fmt"
	"strings"

	"github.com/nnergy/nnergy/workload"
)

// Model is one entry of the zoo.
type Model struct {
	// Name is the name Get accepts, e.g. "alexnet".
	Name string
	// Description is one line saying which variant the model is.
	Description string
	// New returns a fresh network at batch 1.
	New func() *workload.Network
}

var models = []Model{
	{"lenet5", "LeNet-5, classic 32x32x1 input, C3 fully connected", LeNet5},
	{"alexnet", "AlexNet, two-group original as in Eyeriss, 227x227 (666 M CONV MACs)", AlexNet},
	{"vgg16", "VGG-16 (configuration D), 224x224 (15.3 G CONV MACs)", VGG16},
	{"resnet18", "ResNet-18 as in torchvision, 224x224", ResNet18},
	{"resnet50", "ResNet-50 v1.5 as in torchvision (stride on the 3x3), 224x224", ResNet50},
	{"mobilenet", "MobileNetV1, width 1.0, 224x224", func() *workload.Network { return must(MobileNetV1(1, 224)) }},
	{"mobilenet-0.5-128", "MobileNetV1, width 0.5, 128x128", func() *workload.Network { return must(MobileNetV1(0.5, 128)) }},
	{"mobilenetv2", "MobileNetV2, width 1.0, 224x224", MobileNetV2},
	{"squeezenet", "SqueezeNet v1.0, 227x227 (sizes of the paper's Table 1)", SqueezeNet},
	{"googlenet", "GoogLeNet (Inception v1) without auxiliary classifiers, 224x224", GoogLeNet},
	{"bert-base-block", "one BERT-base encoder block, 128 tokens, 12 heads", func() *workload.Network { return must(BERTBaseBlock(128)) }},
}

// Models returns every model of the zoo, in the order nnergy lists them.
func Models() []Model {
	return append([]Model(nil), models...)
}

// Names returns the names of the models, in the order nnergy lists them.
func Names() []string {
	names := make([]string, len(models))
	for i, m := range models {
		names[i] = m.Name
	}
	return names
}

// Lookup returns the zoo entry named name.
func Lookup(name string) (Model, error) {
	for _, m := range models {
		if m.Name == name {
			return m, nil
		}
	}
	return Model{}, fmt.Errorf("zoo: unknown model %q (models: %s)", name, strings.Join(Names(), ", "))
}

// Get returns a fresh copy of the network named name at batch 1.
func Get(name string) (*workload.Network, error) {
	m, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	return m.New(), nil
}
