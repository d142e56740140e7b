export * from './common.contract';
export * from './auth.contract';
