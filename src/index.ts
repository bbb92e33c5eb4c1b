export * from './distribution-configuration';
export * from './distribution-configuration-patch';
export * from './infrastructure-configuration';
export * from './distribute-image';
export * from './target-accounts';
export * from './organization-distribution-targets';
export * from './organizations-reader-role';
export * from './organization-change-events';
