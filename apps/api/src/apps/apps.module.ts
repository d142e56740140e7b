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

/** Apps with draft and published definitions, and their saved queries (README.md here). */
@Module({
  imports: [
    WorkspacesModule,
    QueryProxyModule,
    TypeOrmModule.forFeature([AppEntity, AppQueryEntity, AppPublishedQueryEntity]),
  ],
  controllers: [AppController, AppQueryController],
  providers: [AppRepository, AppService],
})
export class AppsModule {}
