//! SAM, CloudFormation and CDK templates read into what Baton runs.
