// Package evaltest holds evaluations of the anomaly blocks on real recordings, as tests.
// They import dsp for the features, which the anomaly package itself may not, and skip
// when ../shared/datasets is absent.
package evaltest
