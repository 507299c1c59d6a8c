// The kit's own types and the shared ones (inventory readers, platform names, …) are one
// API to the command line and the tests: what moved to MDMBatchShared is still seen
// through `import MDMBatchKit`.
@_exported import MDMBatchShared
