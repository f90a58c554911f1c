// Package studio holds Edge Impulse Studio's wire types: the JSON documents
// of its API as Go structs, with Studio's field names and enum values.
//
// # Overview
//
// The types follow the npm package edge-impulse-api, generated from Studio's
// OpenAPI description: an impulse and its blocks ([Impulse], a
// CreateImpulseRequest, and [InputBlock], [DSPBlock], [LearnBlock]), the
// impulses-detailed response of a trained impulse
// ([DetailedImpulsesResponse] with every block's configuration and
// metadata, [KerasConfig], [KerasModelMetadata], [DSPConfig], [DSPMetadata],
// [AnomalyBlockConfig]), the result of model testing
// ([ClassifyJobResponse]) and a job's socket events ([Event]). Optional
// fields are omitted when unset and required arrays are written as [] when
// nil, so that every document passes a strict type check against the
// published types.
//
// Evaluation figures in Studio's shape (ModelMetrics, the confusion matrix,
// predictions, additional metrics) come from package metrics, on-device
// estimates from package device, anomaly block configurations from package
// anomaly; the types here embed them.
//
// # Errors
//
// The types hold data and do no validation: package impulse checks a
// definition when it parses and compiles it.
package studio
