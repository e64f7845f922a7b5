// Backups of kline-analytics: the S3 bucket with its IRSA roles (BackupBucket), the jobs against it
// (Backups, BackupJobs), point-in-time recovery of the in-cluster database (pitr*), and the pure
// builders behind them.
export * from "./backups";
export * from "./bucket";
export * from "./irsa";
export * from "./jobs";
export * from "./policies";
export * from "./pitr";
export * from "./pitr-config";
