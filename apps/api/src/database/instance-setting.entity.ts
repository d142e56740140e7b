import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Instance-wide key/value settings (e.g. `setup_completed`, written once by first-run setup). */
@Entity('instance_settings')
export class InstanceSettingEntity {
  @PrimaryColumn({ type: 'varchar', length: 100 })
  key: string;

  @Column({ type: 'text' })
  value: string;

  @Column({ name: 'updated_at', type: Date })
  updatedAt: Date;
}
