export * from './distribution-configuration';
