package impulse

import (
	"context"
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/tinyimpulse/tinyimpulse/dataset"
)

// RotatedSamples returns copy c of every time-series sample as
// MotionAugmentation turns it (dataset.SampleRotation with RotationSalt):
// the same ID, name, label and length, the values of every 3-axis sensor
// rotated.
func RotatedSamples(samples []*dataset.Sample, c int, maxDegrees float64) ([]*dataset.Sample, error) {
	return dataset.RotatedCopies(samples, c, RotationSalt, maxDegrees)
}

// rotatedFeatures writes to dst the learn block's features of the
// rotated copies of the windows rows of feats (the features of samples),
// copy after copy: row c·len(rows)+i of dst is copy c of window rows[i].
func rotatedFeatures(ctx context.Context, im *Impulse, learnID int, samples []*dataset.Sample, feats *Features,
	rows []int, m *MotionAugmentation, opt FeatureOptions, dst *mat.Dense) error {
	for c := range m.Copies {
		copies, err := RotatedSamples(samples, c, m.MaxDegrees)
		if err != nil {
			return err
		}
		f, err := im.GenerateFeatures(ctx, copies, &opt)
		if err != nil {
			return err
		}
		if len(f.Windows) != len(feats.Windows) {
			return fmt.Errorf("impulse: the rotated samples give %d windows, the samples %d", len(f.Windows), len(feats.Windows))
		}
		x, err := f.Learn(learnID)
		if err != nil {
			return err
		}
		for i, r := range rows {
			if f.Windows[r].SampleID != feats.Windows[r].SampleID || f.Windows[r].StartMs != feats.Windows[r].StartMs {
				return fmt.Errorf("impulse: rotated window %d is not the window it copies", r)
			}
			dst.SetRow(c*len(rows)+i, x.RawRowView(r))
		}
	}
	return nil
}
