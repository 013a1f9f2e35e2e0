//! Step Functions Local mocked responses (MockConfigFile).
