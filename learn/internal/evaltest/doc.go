// Package evaltest evaluates learn on the real datasets in ../shared/datasets
// with Studio's default processing blocks (from package dsp) and Studio's
// default networks, and compares with PyTorch (testdata/learn/eval_torch.py),
// paired by seed. It reads the sample files with package dataset. It holds
// tests only: learn itself never imports dsp or dataset.
package evaltest
