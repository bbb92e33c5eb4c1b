export * from './distribution-configuration';
export * from './distribution-configuration-patch';
export * from './infrastructure-configuration';
export * from './distribute-image';
