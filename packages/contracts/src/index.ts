export * from './common.contract';
export * from './auth.contract';
export * from './workspace.contract';
