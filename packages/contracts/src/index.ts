export * from './common.contract';
export * from './auth.contract';
export * from './workspace.contract';
export * from './account.contract';
export * from './audit.contract';
export * from './app.contract';
export * from './query.contract';
export * from './datasource.contract';
