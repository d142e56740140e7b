// Lazy route module for the datasource pages (its own chunk).
export { DatasourceListPage as ListComponent } from './datasource-list-page';
export {
  DatasourceCreatePage as CreateComponent,
  DatasourceEditPage as EditComponent,
} from './datasource-edit-page';
