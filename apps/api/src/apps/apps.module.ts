import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { QueryProxyModule } from '../query-proxy/query-proxy.module';
import { WorkspacesModule } from '../workspaces/workspaces.module';
import { AppQueryController } from './app-query.controller';
import { AppController } from './app.controller';
import { AppEntity } from './app.entity';
import { AppPublishedQueryEntity, AppQueryEntity } from './app-query.entity';
import { AppRepository } from './app.repository';
import { AppService } from './app.service';
import { AppRevisionEntity } from './app-revision.entity';
import { AppRevisionRepository } from './app-revision.repository';
import { AppRevisionService } from './app-revision.service';

/** Apps with draft and published definitions, and their saved queries (README.md here). */
@Module({
  imports: [
    WorkspacesModule,
    QueryProxyModule,
    TypeOrmModule.forFeature([
      AppEntity,
      AppQueryEntity,
      AppPublishedQueryEntity,
      AppRevisionEntity,
    ]),
  ],
  controllers: [AppController, AppQueryController],
  providers: [AppRepository, AppService, AppRevisionRepository, AppRevisionService],
})
export class AppsModule {}
